/**
 * Turns a caller's start request into the workflow's `VerificationInput`, validating
 * everything first so that a start that can never succeed is refused before anything runs.
 */
import { isIP } from 'node:net';
import type { ApplicationDeclaration } from '../config/types';
import {
  CALLER_ID_PATTERN,
  MAX_VERIFICATION_ID_LENGTH,
  OTP_APPLICATION,
  OTP_CONTEXT,
  OTP_CHANNEL,
  OTP_DESTINATION_HASH,
  OTP_STATUS,
  START_REQUEST_MEMO,
} from '../domain/constants';
import { InvalidInputError } from '../domain/errors';
import { resolveGuardPolicy } from '../domain/guard-policy';
import { validateInput } from '../domain/input';
import type { Channel, VerificationInput, VerificationPolicy } from '../domain/types';
import { CHANNELS } from '../domain/types';
import { hashDestination, identityOf, verificationId } from './identity';

/** What a caller gives to start a verification. */
export interface StartInput {
  /** Application name; may be omitted when exactly one application is declared. */
  application?: string;
  /**
   * Phone number (`+41 79 302 67 27`, `0041…`, or national where the application declares a
   * `defaultCountry`), or an e-mail address for channel EMAIL. The same name as the HTTP API's
   * and the CLI's `to`.
   */
  to?: string;
  /** @deprecated the old name of `to`; still accepted. */
  destination?: string;
  /** First channel (`sms`, `voice`, `email`, any case). @default `EMAIL` for an address, else `SMS` */
  channel?: string;
  /**
   * Template language. One without a template for the channel falls back to the application's
   * `defaultLanguage` (the answer's `language` and `requestedLanguage` say so).
   * @default the application's `defaultLanguage`
   */
  language?: string;
  /** Values for the template's placeholders (never `pin`). */
  placeholders?: Record<string, string>;
  /** E-mail address for an EMAIL fallback step of a phone verification. */
  email?: string;
  /** Caller-chosen verification ID. @default `otp-<application>-<hash of destination>` */
  id?: string;
  /**
   * A shorter lifetime than the application's `policy.ttlSeconds`, in seconds (never longer):
   * for trying expiry by hand (`otpflow start --ttl 20`). @default the application's
   */
  ttlSeconds?: number;
  /**
   * The end user's IP address, for the application's per-client-IP velocity limit. Kept only
   * as a keyed hash (`OtpContext`), never logged or stored in clear.
   */
  clientIp?: string;
  /** The end user's session, for the per-session velocity limit; kept only as a keyed hash. */
  sessionId?: string;
}

/** Keyed hashes of a start's caller-supplied contexts (`ip:<hash>`, `session:<hash>`). */
export interface StartContexts {
  clientIp?: string;
  sessionId?: string;
}

/** A validated start: the workflow ID, its input and the declaration it came from. */
export interface PreparedStart {
  id: string;
  app: ApplicationDeclaration;
  input: VerificationInput;
  /** The language asked for when it had no template and the default was used instead. */
  requestedLanguage?: string;
  /** Whether the caller chose the ID (it does not attach to the derived-ID flow). */
  callerId: boolean;
  contexts: StartContexts;
}

const SESSION_ID = /^[\x21-\x7e]{1,256}$/;

/** Validates and hashes a start's `clientIp` and `sessionId`. Throws `InvalidInputError`. */
export function startContexts(req: StartInput, key: Buffer): StartContexts {
  const out: StartContexts = {};
  if (req.clientIp !== undefined) {
    if (typeof req.clientIp !== 'string' || isIP(req.clientIp) === 0)
      throw new InvalidInputError('clientIp', 'must be an IPv4 or IPv6 address');
    out.clientIp = `ip:${hashDestination(`ip:${req.clientIp.toLowerCase()}`, key)}`;
  }
  if (req.sessionId !== undefined) {
    if (typeof req.sessionId !== 'string' || !SESSION_ID.test(req.sessionId))
      throw new InvalidInputError('sessionId', 'must be 1–256 printable ASCII characters without spaces');
    out.sessionId = `session:${hashDestination(`session:${req.sessionId}`, key)}`;
  }
  return out;
}

const TEMPLATE_KEY: Record<Channel, 'sms' | 'voice' | 'email'> = {
  SMS: 'sms',
  VOICE: 'voice',
  EMAIL: 'email',
};

/** Resolves the application a request names (or the only one declared). Throws `InvalidInputError('application')`. */
export function resolveApplication(
  applications: readonly ApplicationDeclaration[],
  name: unknown,
): ApplicationDeclaration {
  if (name === undefined || name === null || name === '') {
    if (applications.length === 1 && applications[0]) return applications[0];
    throw new InvalidInputError(
      'application',
      `is required (one of: ${applications.map((a) => a.name).join(', ') || 'none declared'})`,
    );
  }
  const app = applications.find((a) => a.name === name);
  if (!app) throw new InvalidInputError('application', `unknown application "${String(name).slice(0, 64)}"`);
  if (!app.enabled) throw new InvalidInputError('application', `application "${app.name}" is disabled`);
  return app;
}

/**
 * The application's policy as the workflow wants it (`pin` comes from the declaration, the
 * lockout from its guard, defaults applied; a lockout of 0 seconds is left out).
 */
export function policyOf(app: ApplicationDeclaration): VerificationPolicy {
  const { lockout } = resolveGuardPolicy(app.guard);
  return {
    ...app.policy,
    fallback: app.policy.fallback.map((s) => ({ ...s })),
    pin: { ...app.pin },
    ...(lockout.seconds > 0 ? { lockout } : {}),
  };
}

function parseChannel(value: unknown, destination: unknown): Channel {
  if (value === undefined || value === null || value === '') {
    return typeof destination === 'string' && destination.includes('@') ? 'EMAIL' : 'SMS';
  }
  const upper = typeof value === 'string' ? value.toUpperCase() : '';
  if (!(CHANNELS as readonly string[]).includes(upper))
    throw new InvalidInputError('channel', 'must be sms, voice or email');
  return upper as Channel;
}

/** What a requested language must look like before it is looked up (else 400, not a fallback). */
const LANGUAGE_CODE = /^[A-Za-z]{2,3}(?:[_-][A-Za-z]{2,4})?$/;

/**
 * The template language of a start: the one asked for when the channel has a template in it,
 * else the application's default (`fellBack`). A default without a template is refused.
 */
function chooseLanguage(
  app: ApplicationDeclaration,
  channel: Channel,
  templates: Record<string, unknown>,
  requested: unknown,
): { language: string; fellBack: boolean } {
  if (requested !== undefined && (typeof requested !== 'string' || !LANGUAGE_CODE.test(requested)))
    throw new InvalidInputError('language', 'must be a language code such as "en", "pt_br" or "pt-BR"');
  if (requested !== undefined && templates[requested]) return { language: requested, fellBack: false };
  if (!templates[app.defaultLanguage]) {
    throw new InvalidInputError(
      'language',
      `no ${channel} template in "${String(requested ?? app.defaultLanguage).slice(0, 16)}" (have: ${Object.keys(templates).join(', ')})`,
    );
  }
  return { language: app.defaultLanguage, fellBack: requested !== undefined };
}

/** The TTL of a start: the application's, or a shorter one the caller asked for. */
function shorterTtl(app: ApplicationDeclaration, ttl: unknown): number {
  if (ttl === undefined) return app.policy.ttlSeconds;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > app.policy.ttlSeconds) {
    throw new InvalidInputError(
      'ttlSeconds',
      `must be an integer from 1 to ${app.policy.ttlSeconds} (application "${app.name}"'s TTL)`,
    );
  }
  return ttl;
}

/**
 * Validates a start request against the declared applications and builds the workflow input.
 * Throws `InvalidInputError` naming the field: unknown or disabled application, bad
 * destination (libphonenumber-js; field `to`), a country the application does not allow, a
 * channel without a template, a malformed ID. A language without a template falls back to the
 * application's default.
 */
export function prepareStart(
  applications: readonly ApplicationDeclaration[],
  key: Buffer,
  req: StartInput,
): PreparedStart {
  if (!req || typeof req !== 'object') throw new InvalidInputError('body', 'must be an object');
  const app = resolveApplication(applications, req.application);
  const to = req.to ?? req.destination;
  const channel = parseChannel(req.channel, to);
  const templates = app.templates[TEMPLATE_KEY[channel]];
  if (!templates || Object.keys(templates).length === 0) {
    throw new InvalidInputError('channel', `application "${app.name}" has no ${channel} template`);
  }
  const { language, fellBack } = chooseLanguage(app, channel, templates, req.language);
  // One full check of everything (the destination parsed once, with libphonenumber-js); the
  // workflow re-checks only the form.
  const draft: VerificationInput = {
    application: app.name,
    destination: to as string,
    channel,
    language,
    ...(req.placeholders !== undefined ? { placeholders: req.placeholders } : {}),
    ...(req.email !== undefined ? { email: req.email } : {}),
    policy: { ...policyOf(app), ttlSeconds: shorterTtl(app, req.ttlSeconds) },
    destinationMasked: '',
    destinationHash: '',
    ...(app.webhook ? { webhook: { url: app.webhook.url, secretRef: app.webhook.secretEnv } } : {}),
  };
  let parsed;
  try {
    parsed = validateInput(draft, 'full', { defaultCountry: app.defaultCountry });
  } catch (err) {
    // The workflow's input calls it `destination`; callers of every kind call it `to`.
    if (err instanceof InvalidInputError && err.field === 'destination')
      throw new InvalidInputError('to', err.reason);
    throw err;
  }
  const who = identityOf(parsed, key);
  if (req.id !== undefined && (typeof req.id !== 'string' || !CALLER_ID_PATTERN.test(req.id))) {
    throw new InvalidInputError(
      'id',
      `must be 1–${MAX_VERIFICATION_ID_LENGTH} letters, digits, ".", "_", ":" or "-", starting with a letter or digit`,
    );
  }
  const input: VerificationInput = {
    ...draft,
    ...(draft.email !== undefined ? { email: draft.email.trim().toLowerCase() } : {}),
    destination: who.normalised,
    destinationMasked: who.masked,
    destinationHash: who.hash,
  };
  const contexts = startContexts(req, key);
  return {
    id: req.id ?? verificationId(app.name, who.hash),
    app,
    input,
    callerId: req.id !== undefined,
    contexts,
    ...(fellBack ? { requestedLanguage: String(req.language) } : {}),
  };
}

/**
 * Options of the workflow start: search attributes and UI metadata carry the application,
 * channel, keyed hash and masked destination, never the destination in clear; the memo also
 * carries the start call's `requestId` when given (see `StartRequest`); `contexts` are the
 * hashes of `OtpContext` (only for applications with a per-context limit). Conflict policy
 * USE_EXISTING: a start for a running flow attaches to it (`OtpClient.start` sends it with
 * the `start` Update, which tells the caller whether it started the flow).
 */
export function workflowStartOptions(
  id: string,
  taskQueue: string,
  input: VerificationInput,
  requestId?: string,
  contexts: readonly string[] = [],
) {
  const { application, channel, destinationMasked, destinationHash, policy } = input;
  return {
    workflowId: id,
    taskQueue,
    args: [input] as [VerificationInput],
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: OTP_STATUS, value: 'LOOKUP' },
      { key: OTP_APPLICATION, value: application },
      { key: OTP_CHANNEL, value: channel },
      { key: OTP_DESTINATION_HASH, value: destinationHash },
      ...(contexts.length > 0 ? [{ key: OTP_CONTEXT, value: [...contexts] }] : []),
    ],
    memo: { destination: destinationMasked, ...(requestId ? { [START_REQUEST_MEMO]: requestId } : {}) },
    staticSummary: `${application} · ${destinationMasked} · ${channel}`,
    staticDetails: [
      `**${application}** verification of ${destinationMasked} by ${channel}`,
      `ttl ${policy.ttlSeconds}s · ${policy.maxAttempts} attempts · ${policy.maxResends} resends · lookup ${policy.lookup}`,
    ].join('\n\n'),
  };
}
