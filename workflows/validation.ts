/**
 * Pure validation shared by the workflow, the client library and the HTTP API: destinations,
 * codes and policies. Deterministic (no I/O), so it runs inside the workflow sandbox too.
 *
 * Phone numbers are checked at two depths. `full` (the client library, the HTTP API, the CLI:
 * everything before a start) parses the number with libphonenumber-js and knows its country.
 * `shape` (the workflow, re-checking an input the client already checked) only checks E.164
 * form, unless the application restricts countries, which needs the full parse. Why: inside
 * the workflow sandbox every verification evaluates its modules anew, and libphonenumber's
 * metadata was the largest part of that, about 2 ms of worker CPU per verification
 * (BENCHMARKS.md); the module is now loaded only by a parse that needs it.
 */
import type { Channel, PinType, VerificationInput, VerificationPolicy } from './types';
import { CHANNELS } from './types';

/** Thrown for input that can never succeed; `field` names what was wrong. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  readonly code = 'OTP_INVALID_INPUT';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A parsed destination; `country` is known after a `full` parse. */
export type Destination =
  { kind: 'phone'; e164: string; country?: string } | { kind: 'email'; address: string };

/** How deeply a phone number is checked: libphonenumber-js (`full`) or E.164 form only. */
export type PhoneCheck = 'full' | 'shape';

type PhoneLib = typeof import('libphonenumber-js/min');
let phoneLib: PhoneLib | undefined;
/** libphonenumber-js, loaded on the first full parse (see the module comment). */
function loadPhoneLib(): PhoneLib {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily on purpose
  return (phoneLib ??= require('libphonenumber-js/min') as PhoneLib);
}

const EMAIL =
  /^[^\s@"<>()[\]\\,;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const MAX_DESTINATION = 254;

/**
 * Parses a destination for a channel: an E.164 phone number for SMS and VOICE, an e-mail
 * address for EMAIL. Throws `InvalidInputError` naming `field`.
 */
export function parseDestination(
  value: unknown,
  channel: Channel,
  field = 'destination',
  depth: PhoneCheck = 'full',
): Destination {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidInputError(field, 'must be a non-empty string');
  if (value.length > MAX_DESTINATION)
    throw new InvalidInputError(field, `must be at most ${MAX_DESTINATION} characters`);
  if (channel === 'EMAIL') {
    if (!EMAIL.test(value)) throw new InvalidInputError(field, 'must be an e-mail address for channel EMAIL');
    return { kind: 'email', address: value.toLowerCase() };
  }
  if (!/^\+[1-9][0-9]{1,14}$/.test(value)) {
    throw new InvalidInputError(
      field,
      'must be an E.164 phone number such as +41793026727 (a plus and digits only)',
    );
  }
  if (depth === 'shape') return { kind: 'phone', e164: value };
  let parsed;
  try {
    parsed = loadPhoneLib().parsePhoneNumberWithError(value);
  } catch (err) {
    throw new InvalidInputError(field, `is not a phone number (${(err as Error).message})`);
  }
  if (!parsed.isValid() || !parsed.country) {
    throw new InvalidInputError(
      field,
      `${maskDestination(value)} is not a valid phone number for any country`,
    );
  }
  return { kind: 'phone', e164: parsed.number, country: parsed.country };
}

/** Masks a destination for people and logs: `+41•••••6727`, `a•••@example.com`. */
export function maskDestination(value: string): string {
  const at = value.lastIndexOf('@');
  if (at > 0) return `${value[0]}•••${value.slice(at)}`;
  if (value.length <= 7) return '•'.repeat(value.length);
  return `${value.slice(0, 3)}${'•'.repeat(Math.max(value.length - 7, 1))}${value.slice(-4)}`;
}

const ALPHABETS: Record<PinType, RegExp> = {
  NUMERIC: /^[0-9]+$/,
  HEX: /^[0-9A-F]+$/,
  ALPHA: /^[A-Z]+$/,
  ALPHANUMERIC: /^[A-Z0-9]+$/,
};

/**
 * Normalises a code a person typed and checks it against the PIN's alphabet and length.
 * Spaces and dashes are dropped and letters upper-cased; only ASCII is accepted (so
 * full-width or Arabic-Indic digits are rejected, not silently converted).
 */
export function normalizeCode(code: unknown, pin: { type: PinType; length: number }): string {
  if (typeof code !== 'string') throw new InvalidInputError('code', 'must be a string');
  if (code.length > 64) throw new InvalidInputError('code', 'is too long');
  const cleaned = code.replace(/[\s-]/g, '').toUpperCase();
  if (cleaned.length !== pin.length) {
    throw new InvalidInputError('code', `must be ${pin.length} characters long`);
  }
  if (!ALPHABETS[pin.type].test(cleaned)) {
    throw new InvalidInputError('code', `must use the ${pin.type} alphabet`);
  }
  return cleaned;
}

function positiveInt(value: unknown, field: string, max: number, min = 1): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(field, `must be an integer from ${min} to ${max}`);
  }
}

/** Checks a policy; throws `InvalidInputError` naming the field. */
export function validatePolicy(policy: VerificationPolicy, field = 'policy'): void {
  if (!policy || typeof policy !== 'object') throw new InvalidInputError(field, 'is required');
  if (!['REQUIRED', 'ADVISORY', 'OFF'].includes(policy.lookup)) {
    throw new InvalidInputError(`${field}.lookup`, 'must be REQUIRED, ADVISORY or OFF');
  }
  positiveInt(policy.ttlSeconds, `${field}.ttlSeconds`, 86_400);
  positiveInt(policy.maxAttempts, `${field}.maxAttempts`, 100);
  positiveInt(policy.resendCooldownSeconds, `${field}.resendCooldownSeconds`, 86_400, 0);
  positiveInt(policy.maxResends, `${field}.maxResends`, 20, 0);
  if (!Array.isArray(policy.fallback)) throw new InvalidInputError(`${field}.fallback`, 'must be an array');
  policy.fallback.forEach((step, i) => {
    if (!CHANNELS.includes(step?.channel)) {
      throw new InvalidInputError(`${field}.fallback[${i}].channel`, 'must be SMS, VOICE or EMAIL');
    }
    positiveInt(step.afterSeconds, `${field}.fallback[${i}].afterSeconds`, 86_400);
  });
  if (
    !Array.isArray(policy.allowedCountries) ||
    !policy.allowedCountries.every((c) => /^[A-Z]{2}$/.test(c))
  ) {
    throw new InvalidInputError(
      `${field}.allowedCountries`,
      'must be a list of ISO 3166-1 alpha-2 codes such as "CH"',
    );
  }
  if (!policy.pin || !(policy.pin.type in ALPHABETS)) {
    throw new InvalidInputError(`${field}.pin.type`, 'must be NUMERIC, ALPHA, HEX or ALPHANUMERIC');
  }
  positiveInt(policy.pin.length, `${field}.pin.length`, 10, 4);
  if (policy.retryBudgetSeconds !== undefined)
    positiveInt(policy.retryBudgetSeconds, `${field}.retryBudgetSeconds`, 3600);
}

/**
 * Validates a whole verification input; returns the parsed destination. `phones: 'shape'`
 * skips libphonenumber unless the policy restricts countries (see the module comment).
 */
export function validateInput(input: VerificationInput, phones: PhoneCheck = 'full'): Destination {
  if (!input || typeof input !== 'object') throw new InvalidInputError('input', 'is required');
  if (typeof input.application !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(input.application)) {
    throw new InvalidInputError(
      'application',
      'must be a name of letters, digits, ".", "_" or "-" (at most 64)',
    );
  }
  if (!CHANNELS.includes(input.channel))
    throw new InvalidInputError('channel', 'must be SMS, VOICE or EMAIL');
  validatePolicy(input.policy);
  const allowed = input.policy.allowedCountries;
  const depth = allowed.length > 0 ? 'full' : phones;
  const destination = parseDestination(input.destination, input.channel, 'destination', depth);
  if (destination.kind === 'phone' && allowed.length > 0) {
    if (!destination.country || !allowed.includes(destination.country)) {
      throw new InvalidInputError(
        'destination',
        `numbers from ${destination.country ?? 'an unknown country'} are not allowed for this application`,
      );
    }
  }
  if (input.email !== undefined) parseDestination(input.email, 'EMAIL', 'email');
  if (input.placeholders !== undefined) {
    if (
      typeof input.placeholders !== 'object' ||
      input.placeholders === null ||
      Array.isArray(input.placeholders)
    ) {
      throw new InvalidInputError('placeholders', 'must be an object of strings');
    }
    for (const [k, v] of Object.entries(input.placeholders)) {
      if (!/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(k) || k.toLowerCase() === 'pin') {
        throw new InvalidInputError(`placeholders.${k}`, 'is not an allowed placeholder name');
      }
      if (typeof v !== 'string' || v.length > 200) {
        throw new InvalidInputError(`placeholders.${k}`, 'must be a string of at most 200 characters');
      }
    }
  }
  if (input.language !== undefined && !/^[a-z]{2}(_[a-z]{2})?$/.test(input.language)) {
    throw new InvalidInputError('language', 'must be a language code such as "en" or "pt_br"');
  }
  return destination;
}
