/**
 * The whole input of a verification and the codes people type: checked fully once at the edge
 * (client library, HTTP API, CLI) and by shape in the workflow (see `destination.ts` for the
 * two depths). Deterministic, no I/O: this runs inside the workflow sandbox too.
 */
import { parseDestination, type Destination, type ParseOptions, type PhoneCheck } from './destination';
import { InvalidInputError } from './errors';
import { PIN_ALPHABETS, validatePolicy } from './policy';
import { CHANNELS, type PinType, type VerificationInput } from './types';

/** Application names: letters, digits, `.`, `_`, `-`, at most 64. */
const APPLICATION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const PLACEHOLDER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const LANGUAGE = /^[a-z]{2}(_[a-z]{2})?$/;

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
  if (!PIN_ALPHABETS[pin.type].test(cleaned)) {
    throw new InvalidInputError('code', `must use the ${pin.type} alphabet`);
  }
  return cleaned;
}

/**
 * Validates a whole verification input; returns the parsed destination. `full` (the edge)
 * parses phone numbers with libphonenumber-js; `shape` (the workflow) checks their E.164 form
 * only — unless the application restricts countries: that guarantee holds for a flow started
 * around the client too, and needs the full parse (see `destination.ts`). `options` carries the
 * application's `defaultCountry` for numbers typed without a country code (full parse only).
 */
export function validateInput(
  input: VerificationInput,
  depth: PhoneCheck = 'full',
  options: ParseOptions = {},
): Destination {
  if (!input || typeof input !== 'object') throw new InvalidInputError('input', 'is required');
  if (typeof input.application !== 'string' || !APPLICATION_NAME.test(input.application)) {
    throw new InvalidInputError(
      'application',
      'must be a name of letters, digits, ".", "_" or "-" (at most 64)',
    );
  }
  if (!CHANNELS.includes(input.channel))
    throw new InvalidInputError('channel', 'must be SMS, VOICE or EMAIL');
  validatePolicy(input.policy);
  const allowed = input.policy.allowedCountries;
  const phones = allowed.length > 0 ? 'full' : depth;
  const destination = parseDestination(input.destination, input.channel, 'destination', phones, options);
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
      if (!PLACEHOLDER_NAME.test(k) || k.toLowerCase() === 'pin') {
        throw new InvalidInputError(`placeholders.${k}`, 'is not an allowed placeholder name');
      }
      if (typeof v !== 'string' || v.length > 200) {
        throw new InvalidInputError(`placeholders.${k}`, 'must be a string of at most 200 characters');
      }
    }
  }
  if (input.language !== undefined && !LANGUAGE.test(input.language)) {
    throw new InvalidInputError('language', 'must be a language code such as "en" or "pt_br"');
  }
  return destination;
}
