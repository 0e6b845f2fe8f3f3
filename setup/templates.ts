/**
 * How a declared template is recognised at Infobip. Infobip templates have no name, so a
 * template *is* its content: the one that serves `sms/en` is the one whose fields equal the
 * request otpflow would send for `sms/en` (text, PIN type and length, language, sender or
 * voice settings). Setup and the activities use the same functions, so what setup creates is
 * exactly what a send finds. Consequences, chosen on purpose:
 * - no marker text is added to messages people read;
 * - two declarations with identical content share one template;
 * - after a declaration changes, setup updates the template of the same slot (same language
 *   and kind) in place, so message IDs stay stable.
 */
import type { Channel } from '../domain/types';
import type {
  ApplicationDeclaration,
  EmailTemplateDeclaration,
  PhoneTemplateDeclaration,
} from '../config/types';
import {
  INFOBIP_LANGUAGES,
  type EmailTemplateRequest,
  type InfobipLanguage,
  type MessageTemplate,
  type MessageTemplateRequest,
} from '../infobip/types';

const VOICE_FIELDS = ['voiceName', 'speechRate', 'repeatDTMF'] as const;

/** One template a declaration asks for. */
export type TemplateSlot =
  | { channel: 'SMS' | 'VOICE'; language: string; kind: 'PHONE'; request: MessageTemplateRequest }
  | { channel: 'EMAIL'; language: string; kind: 'EMAIL'; request: EmailTemplateRequest };

/** Infobip's TTS language for a declared language key (`pt-BR` → `pt_br`), if it has one. */
export function infobipLanguage(language: string): InfobipLanguage | undefined {
  const normalized = language.toLowerCase().replace('-', '_');
  const found = INFOBIP_LANGUAGES.find((l) => l === normalized || l === normalized.split('_')[0]);
  return found;
}

/** The template request otpflow sends for an SMS or voice declaration. */
export function phoneTemplateRequest(
  app: ApplicationDeclaration,
  channel: 'SMS' | 'VOICE',
  language: string,
  decl: PhoneTemplateDeclaration,
): MessageTemplateRequest {
  const req: MessageTemplateRequest = {
    messageText: decl.messageText,
    pinType: app.pin.type,
    pinLength: app.pin.length,
  };
  const lang = infobipLanguage(language);
  if (lang) req.language = lang;
  if (channel === 'SMS' && decl.senderId !== undefined) req.senderId = decl.senderId;
  if (channel === 'VOICE') {
    if (decl.voiceName !== undefined) req.voiceName = decl.voiceName;
    if (decl.speechRate !== undefined) req.speechRate = decl.speechRate;
    if (decl.repeatDTMF !== undefined) req.repeatDTMF = decl.repeatDTMF;
  }
  return req;
}

/** The template request otpflow sends for an e-mail declaration. */
export function emailTemplateRequest(
  app: ApplicationDeclaration,
  decl: EmailTemplateDeclaration,
): EmailTemplateRequest {
  return {
    emailTemplateId: decl.emailTemplateId,
    from: decl.from,
    pinType: app.pin.type,
    pinLength: app.pin.length,
  };
}

/** Every template slot of a declaration, in a stable order (SMS, voice, e-mail; languages as declared). */
export function templateSlots(app: ApplicationDeclaration): TemplateSlot[] {
  const slots: TemplateSlot[] = [];
  for (const [language, decl] of Object.entries(app.templates.sms ?? {})) {
    slots.push({
      channel: 'SMS',
      language,
      kind: 'PHONE',
      request: phoneTemplateRequest(app, 'SMS', language, decl),
    });
  }
  for (const [language, decl] of Object.entries(app.templates.voice ?? {})) {
    slots.push({
      channel: 'VOICE',
      language,
      kind: 'PHONE',
      request: phoneTemplateRequest(app, 'VOICE', language, decl),
    });
  }
  for (const [language, decl] of Object.entries(app.templates.email ?? {})) {
    slots.push({ channel: 'EMAIL', language, kind: 'EMAIL', request: emailTemplateRequest(app, decl) });
  }
  return slots;
}

/**
 * The slot a send uses: the asked language if declared for the channel, else the default
 * language, else the channel's first declared language (a fallback channel may be declared in
 * fewer languages than the first one; a message in another language beats no message).
 */
export function slotFor(
  app: ApplicationDeclaration,
  channel: Channel,
  language?: string,
): TemplateSlot | undefined {
  const slots = templateSlots(app).filter((s) => s.channel === channel);
  return (
    slots.find((s) => s.language === language) ??
    slots.find((s) => s.language === app.defaultLanguage) ??
    slots[0]
  );
}

function isEmailTemplate(t: MessageTemplate): boolean {
  return t.emailTemplateId !== undefined && t.messageText === undefined;
}

/** Names of the fields where `existing` differs from what `slot` asks for (empty: it matches). */
export function templateDifferences(slot: TemplateSlot, existing: MessageTemplate): string[] {
  if ((slot.kind === 'EMAIL') !== isEmailTemplate(existing)) return ['kind'];
  const wanted = slot.request as unknown as Record<string, unknown>;
  const have = existing as unknown as Record<string, unknown>;
  return Object.keys(wanted).filter((k) => JSON.stringify(wanted[k]) !== JSON.stringify(have[k]));
}

function voiceKind(t: MessageTemplateRequest | MessageTemplate): boolean {
  return VOICE_FIELDS.some((f) => t[f] !== undefined && t[f] !== null);
}

/**
 * The existing template that serves `slot` as it is, if any. Among several, prefers the one
 * of the same kind (an SMS slot avoids a template with voice settings).
 */
export function findMatchingTemplate(
  slot: TemplateSlot,
  existing: MessageTemplate[],
): MessageTemplate | undefined {
  const matches = existing.filter((t) => templateDifferences(slot, t).length === 0);
  if (slot.kind === 'PHONE') {
    const sameKind = matches.find((t) => voiceKind(t) === voiceKind(slot.request));
    if (sameKind) return sameKind;
  }
  return matches[0];
}

/** Whether `existing` could be updated to serve `slot`: same kind of template, same language. */
export function isUpdateCandidate(slot: TemplateSlot, existing: MessageTemplate): boolean {
  if (slot.kind === 'EMAIL') return isEmailTemplate(existing);
  if (isEmailTemplate(existing)) return false;
  const lang = slot.request.language;
  if (lang !== undefined && existing.language !== undefined && existing.language !== lang) return false;
  return voiceKind(existing) === voiceKind(slot.request) || slot.channel === 'VOICE';
}
