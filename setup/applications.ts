/**
 * `ensureApplication`: makes an Infobip application and its templates match a declaration,
 * for `otpflow setup`. Finds the application by name and each template by content (see
 * `templates.ts`), creates what is missing and updates what differs. Idempotent: a second run
 * finds everything in place and changes nothing. Plain functions, not activities: setup is an
 * operator's command and Infobip's own errors (`InfobipError`) are what it should show.
 */
import type { ApplicationDeclaration } from '../config/types';
import type { InfobipClient } from '../infobip/client';
import type { Application, ApplicationConfiguration, MessageTemplate } from '../infobip/types';
import type { CallOptions } from '../infobip/transport';
import {
  findMatchingTemplate,
  isUpdateCandidate,
  templateDifferences,
  templateSlots,
  type TemplateSlot,
} from './templates';

/** One change setup made (or, with `dryRun`, would make). */
export interface SetupChange {
  target: 'APPLICATION' | 'TEMPLATE';
  action: 'CREATE' | 'UPDATE';
  /** Application name, or `<channel>/<language>` of a template (`SMS/en`). */
  name: string;
  /** Infobip's ID of what changed; absent for a creation in a dry run. */
  id?: string;
  /** Fields that differ, for updates. */
  fields?: string[];
}

/** Options of `ensureApplication`. */
export interface EnsureOptions extends CallOptions {
  /** Report what would change without changing anything. @default false */
  dryRun?: boolean;
}

/** Outcome of `ensureApplication`. */
export interface EnsureResult {
  /** Infobip's ID; undefined only in a dry run for an application that does not exist yet. */
  applicationId: string | undefined;
  /** Empty when Infobip already matched the declaration. */
  changes: SetupChange[];
  /** Template `messageId` per `<channel>/<language>`, where known. */
  templates: Record<string, string>;
}

const CONFIG_KEYS: (keyof ApplicationConfiguration)[] = [
  'pinAttempts',
  'allowMultiplePinVerifications',
  'pinTimeToLive',
  'verifyPinLimit',
  'sendPinPerApplicationLimit',
  'sendPinPerPhoneNumberLimit',
];

function applicationDifferences(decl: ApplicationDeclaration, app: Application): string[] {
  const diff: string[] = [];
  if ((app.enabled ?? true) !== decl.enabled) diff.push('enabled');
  for (const key of CONFIG_KEYS) {
    if (app.configuration?.[key] !== decl.infobip[key]) diff.push(`configuration.${key}`);
  }
  return diff;
}

const slotName = (s: TemplateSlot) => `${s.channel}/${s.language}`;

/**
 * Makes Infobip match `decl`. Throws the client's `InfobipError` when a call fails; changes
 * made before the failure stay, and a rerun completes them.
 */
export async function ensureApplication(
  client: InfobipClient,
  decl: ApplicationDeclaration,
  opts: EnsureOptions = {},
): Promise<EnsureResult> {
  const call = { signal: opts.signal };
  const changes: SetupChange[] = [];
  const request = { name: decl.name, enabled: decl.enabled, configuration: { ...decl.infobip } };
  const slots = templateSlots(decl);

  const existing = (await client.listApplications(call)).find((a) => a.name === decl.name);
  let applicationId = existing?.applicationId;
  if (!existing) {
    if (!opts.dryRun) applicationId = (await client.createApplication(request, call)).applicationId;
    changes.push({ target: 'APPLICATION', action: 'CREATE', name: decl.name, id: applicationId });
  } else {
    const fields = applicationDifferences(decl, existing);
    if (fields.length > 0) {
      if (!opts.dryRun) await client.updateApplication(existing.applicationId, request, call);
      changes.push({
        target: 'APPLICATION',
        action: 'UPDATE',
        name: decl.name,
        id: existing.applicationId,
        fields,
      });
    }
  }
  if (applicationId === undefined) {
    for (const s of slots) changes.push({ target: 'TEMPLATE', action: 'CREATE', name: slotName(s) });
    return { applicationId, changes, templates: {} };
  }

  const templates: Record<string, string> = {};
  const list = existing ? await client.listMessageTemplates(applicationId, call) : [];
  // First every slot that Infobip already serves as declared, so an update never takes a
  // template another slot uses.
  const pending: TemplateSlot[] = [];
  const inUse = new Set<string>();
  for (const s of slots) {
    const found = findMatchingTemplate(s, list);
    if (found) {
      templates[slotName(s)] = found.messageId;
      inUse.add(found.messageId);
    } else {
      pending.push(s);
    }
  }
  for (const s of pending) {
    // Two slots with the same content share the template the first one created.
    const shared = findMatchingTemplate(s, list);
    if (shared) {
      templates[slotName(s)] = shared.messageId;
      continue;
    }
    const candidate = list.find((t) => !inUse.has(t.messageId) && isUpdateCandidate(s, t));
    let template: MessageTemplate | undefined;
    if (candidate) {
      const fields = templateDifferences(s, candidate);
      if (!opts.dryRun) template = await updateTemplate(client, applicationId, candidate.messageId, s, call);
      changes.push({
        target: 'TEMPLATE',
        action: 'UPDATE',
        name: slotName(s),
        id: candidate.messageId,
        fields,
      });
      inUse.add(candidate.messageId);
      templates[slotName(s)] = candidate.messageId;
      const i = list.indexOf(candidate);
      list[i] = template ?? { ...candidate, ...s.request };
    } else {
      if (!opts.dryRun) template = await createTemplate(client, applicationId, s, call);
      changes.push({ target: 'TEMPLATE', action: 'CREATE', name: slotName(s), id: template?.messageId });
      if (template) {
        inUse.add(template.messageId);
        templates[slotName(s)] = template.messageId;
        list.push(template);
      } else {
        list.push({ messageId: `(new ${slotName(s)})`, ...s.request } as MessageTemplate);
      }
    }
  }
  return { applicationId, changes, templates };
}

async function createTemplate(
  client: InfobipClient,
  appId: string,
  s: TemplateSlot,
  call: CallOptions,
): Promise<MessageTemplate> {
  if (s.kind === 'EMAIL')
    return { ...s.request, ...(await client.createEmailTemplate(appId, s.request, call)) };
  return { ...s.request, ...(await client.createMessageTemplate(appId, s.request, call)) };
}

async function updateTemplate(
  client: InfobipClient,
  appId: string,
  msgId: string,
  s: TemplateSlot,
  call: CallOptions,
): Promise<MessageTemplate> {
  if (s.kind === 'EMAIL')
    return { ...s.request, ...(await client.updateEmailTemplate(appId, msgId, s.request, call)) };
  return { ...s.request, ...(await client.updateMessageTemplate(appId, msgId, s.request, call)) };
}
