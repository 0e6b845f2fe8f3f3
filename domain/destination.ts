/**
 * THE destination module: what a phone number and an e-mail address must look like, how they
 * are normalised and masked, for every layer (client, HTTP API, CLI, workflow, activities, the
 * Infobip client, log and failure redaction). Deterministic and free of I/O, so it runs inside
 * the workflow sandbox too.
 *
 * Phone numbers are checked at two depths. `full` (the client library, the HTTP API, the CLI:
 * everything before a start) takes the number as people type it (spaces, dashes, dots,
 * parentheses, `00`, a national number where the application declares a `defaultCountry`),
 * parses it with libphonenumber-js, knows its country and answers E.164.
 * `shape` (the workflow, the activities and the Infobip client, handling a destination the
 * edge already checked) only checks E.164 form; the workflow parses fully only when the
 * application restricts countries (`input.ts`). Why: inside the workflow sandbox every
 * verification evaluates its modules anew, and libphonenumber's metadata was the largest part
 * of that, about 2 ms of worker CPU per verification (BENCHMARKS.md); the module is loaded only
 * by a parse that needs it.
 */
import type { CountryCode } from 'libphonenumber-js/min';
import { InvalidInputError } from './errors';
import type { Channel } from './types';

/** A parsed destination; `country` is known after a `full` parse. */
export type Destination =
  { kind: 'phone'; e164: string; country?: string } | { kind: 'email'; address: string };

/** How deeply a phone number is checked: libphonenumber-js (`full`) or E.164 form only. */
export type PhoneCheck = 'full' | 'shape';

/** Longest destination accepted (the longest e-mail address SMTP allows). */
export const MAX_DESTINATION_LENGTH = 254;

/**
 * E.164: a plus, a country code that does not start with 0, at most 15 digits in all. No
 * shorter bound: libphonenumber knows valid numbers of 6 digits (`+431000`).
 */
const E164 = /^\+[1-9][0-9]{1,14}$/;
const EMAIL =
  /^[^\s@"<>()[\]\\,;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Whether `value` is a phone number in E.164 form (`+41793026727`). */
export function isE164(value: unknown): value is string {
  return typeof value === 'string' && E164.test(value);
}

/** Whether `value` is an e-mail address otpflow accepts. */
export function isEmailAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_DESTINATION_LENGTH && EMAIL.test(value);
}

/** Whether `value` has the shape of a destination for `channel` (no libphonenumber). */
export function fitsChannel(channel: Channel, value: unknown): value is string {
  return channel === 'EMAIL' ? isEmailAddress(value) : isE164(value);
}

type PhoneLib = typeof import('libphonenumber-js/min');
let phoneLib: PhoneLib | undefined;
/** libphonenumber-js, loaded on the first full parse (see the module comment). */
function loadPhoneLib(): PhoneLib {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily on purpose
  return (phoneLib ??= require('libphonenumber-js/min') as PhoneLib);
}

/** What people put between digits: spaces (any), dashes, dots, slashes and parentheses. */
const SEPARATORS = /[\s\-./()\u2010-\u2015]/g;
/** ISO 3166-1 alpha-2, the form of an application's `defaultCountry`. */
const COUNTRY = /^[A-Z]{2}$/;

/**
 * A phone number as people type it, reduced to `+` and digits: separators dropped, the `00`
 * international prefix turned into `+`. Answers the digits without a `+` for a national number
 * (`079 302 67 27`), or throws for anything else.
 */
function compactPhone(value: string, field: string): string {
  const compact = value.replace(SEPARATORS, '');
  if (!/^\+?[0-9]+$/.test(compact)) {
    throw new InvalidInputError(
      field,
      'must be a phone number: digits with an optional leading + (spaces, dashes, dots and parentheses are fine)',
    );
  }
  return compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
}

/** Why libphonenumber refuses a number, in words (`too short`, `invalid for CH`, …). */
function phoneProblem(lib: PhoneLib, text: string, cc: CountryCode | undefined): string {
  const masked = maskDestination(text);
  switch (lib.validatePhoneNumberLength(text, cc)) {
    case 'TOO_SHORT':
      return `${masked} is too short for a phone number`;
    case 'TOO_LONG':
      return `${masked} is too long for a phone number`;
    case 'INVALID_COUNTRY':
      return text.startsWith('+')
        ? `${masked} starts with a country code that no country uses`
        : `${masked} has no country code: start it with + and the country code`;
    case 'INVALID_LENGTH':
      return `${masked} has a length no number of its country has`;
    case 'NOT_A_NUMBER':
      return `${masked} is not a phone number`;
  }
  try {
    const parsed = lib.parsePhoneNumberWithError(text, cc);
    if (parsed.country) return `${masked} is not a valid number in ${parsed.country}`;
  } catch {
    // fall through to the general sentence
  }
  return `${masked} is not a valid phone number for any country`;
}

/** Whether libphonenumber knows `code` as a country (`CH`, `US`, …); loads it. */
export function isPhoneCountry(code: string): boolean {
  return COUNTRY.test(code) && loadPhoneLib().isSupportedCountry(code);
}

/** Options of a full parse. */
export interface ParseOptions {
  /**
   * ISO 3166-1 alpha-2 country of numbers typed without a country code (`079 302 67 27`):
   * the application's `defaultCountry`. Without it, a number must start with `+` or `00`.
   */
  defaultCountry?: string;
}

/**
 * Parses a destination for a channel: a phone number for SMS and VOICE, an e-mail address for
 * EMAIL (lower-cased). A `full` parse takes phone numbers as people type them — spaces,
 * dashes, dots and parentheses, `00` for `+`, national numbers where `defaultCountry` is given —
 * and answers E.164; a `shape` parse accepts E.164 only. Throws `InvalidInputError` naming
 * `field` and saying why (too short, too long, not valid in its country, …).
 */
export function parseDestination(
  value: unknown,
  channel: Channel,
  field = 'destination',
  depth: PhoneCheck = 'full',
  options: ParseOptions = {},
): Destination {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidInputError(field, 'must be a non-empty string');
  if (value.length > MAX_DESTINATION_LENGTH)
    throw new InvalidInputError(field, `must be at most ${MAX_DESTINATION_LENGTH} characters`);
  if (channel === 'EMAIL') {
    const address = depth === 'full' ? value.trim() : value;
    if (!isEmailAddress(address))
      throw new InvalidInputError(field, 'must be an e-mail address for channel EMAIL');
    return { kind: 'email', address: address.toLowerCase() };
  }
  if (depth === 'shape') {
    if (!isE164(value)) {
      throw new InvalidInputError(
        field,
        'must be an E.164 phone number such as +41793026727 (a plus and digits only)',
      );
    }
    return { kind: 'phone', e164: value };
  }
  const compact = compactPhone(value, field);
  const country = options.defaultCountry;
  if (!compact.startsWith('+') && !(country && COUNTRY.test(country))) {
    throw new InvalidInputError(
      field,
      'must start with + and the country code (+41 79 302 67 27) or 00; national numbers need the application to declare a defaultCountry',
    );
  }
  if (compact.replace(/\D/g, '').length > 17)
    throw new InvalidInputError(field, `${maskDestination(compact)} is too long for a phone number`);
  const lib = loadPhoneLib();
  const cc = compact.startsWith('+') ? undefined : (country as CountryCode);
  let parsed;
  try {
    parsed = lib.parsePhoneNumberWithError(compact, cc);
  } catch {
    throw new InvalidInputError(field, phoneProblem(lib, compact, cc));
  }
  if (!parsed.isValid() || !parsed.country || !isE164(parsed.number)) {
    throw new InvalidInputError(field, phoneProblem(lib, compact, cc));
  }
  return { kind: 'phone', e164: parsed.number, country: parsed.country };
}

/** The normalised form of a parsed destination: E.164 or the lower-cased address. */
export function normalisedDestination(d: Destination): string {
  return d.kind === 'phone' ? d.e164 : d.address;
}

/**
 * Masks a destination for people and logs: `+41•••••6727` (the first two and last four digits
 * of a phone number, whatever its spacing), `a•••@example.com`. Numbers of fewer than seven
 * digits are masked whole.
 */
export function maskDestination(value: string): string {
  const at = value.lastIndexOf('@');
  if (at > 0) return `${value[0]}•••${value.slice(at)}`;
  const digits = value.replace(/\D/g, '');
  if (digits.length < 7) return '•'.repeat(value.length);
  return `+${digits.slice(0, 2)}${'•'.repeat(digits.length - 6)}${digits.slice(-4)}`;
}

// In free text: runs of 7 to 18 digits, optionally spaced by single spaces or dashes, bounded
// by anything but word characters and dashes, so digit runs inside IDs and UUIDs stay.
const PHONE_IN_TEXT = /(?<![\w-])\+?\d(?:[ -]?\d){5,17}(?![\w-])/g;
const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/**
 * Masks every phone number and e-mail address inside free text (log lines, Infobip's error
 * texts bound for workflow history) with `maskDestination`.
 */
export function maskText(text: string): string {
  return text
    .replace(EMAIL_IN_TEXT, maskDestination)
    .replace(PHONE_IN_TEXT, (m) => (m.replace(/\D/g, '').length >= 7 ? maskDestination(m) : m));
}
