/**
 * Destination prefixes of the abuse guard: a phone number's country calling code and its first
 * national digits (`+44 791…` → `+44791` with 3 digits). The breaker counts sends and
 * verifications per prefix and blocks prefixes, never numbers. Pure and small (no
 * libphonenumber), so the workflow sandbox, the worker's feed and every API instance compute
 * the same prefix cheaply on each start.
 */

/**
 * ITU-T E.164 country calling codes of two digits. `1` and `7` are the only one-digit codes;
 * every other code has three digits. (Country codes are prefix-free, so the first digits of a
 * number say how long its code is; `test/guard-domain.test.ts` checks this table against
 * libphonenumber's metadata.)
 */
const TWO_DIGIT_CODES = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48',
  '49', '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81',
  '82', '84', '86', '90', '91', '92', '93', '94', '95', '98',
]); // prettier-ignore

/** Most national digits a prefix may keep (`guard.breaker.prefixDigits`). */
export const MAX_PREFIX_DIGITS = 8;

/** The country calling code of an E.164 number's digits (without `+`): `41793026727` → `41`. */
export function countryCallingCode(digits: string): string {
  if (digits.startsWith('1') || digits.startsWith('7')) return digits.slice(0, 1);
  const two = digits.slice(0, 2);
  return TWO_DIGIT_CODES.has(two) ? two : digits.slice(0, 3);
}

/**
 * The guard's prefix of an E.164 number: `+`, the country calling code and `nationalDigits`
 * digits after it (`+41793026727`, 3 → `+41793`). Undefined for anything that is not E.164
 * (an e-mail address: the breaker watches phone numbers only).
 */
export function destinationPrefix(destination: string, nationalDigits: number): string | undefined {
  if (!/^\+[1-9][0-9]{1,14}$/.test(destination)) return undefined;
  const digits = destination.slice(1);
  const cc = countryCallingCode(digits);
  return `+${digits.slice(0, cc.length + Math.max(0, Math.min(nationalDigits, MAX_PREFIX_DIGITS)))}`;
}

/** A prefix as operators type it (`+44791`, `44791`): `+` and 1–11 digits. */
export const PREFIX_PATTERN = /^\+?[1-9][0-9]{0,10}$/;

/** `44791` or `+44791` → `+44791`; undefined when it is not a prefix. */
export function normalisePrefix(value: unknown): string | undefined {
  if (typeof value !== 'string' || !PREFIX_PATTERN.test(value.trim())) return undefined;
  const v = value.trim();
  return v.startsWith('+') ? v : `+${v}`;
}

/** Whether `destination` (E.164) falls under `prefix` (`+44791` covers `+447911123456`). */
export function underPrefix(destination: string, prefix: string): boolean {
  return destination.startsWith(prefix);
}
