/** Destination formats: otpflow speaks E.164 (`+41793026727`), Infobip wants digits (`41793026727`). */
import { InfobipInvalidArgumentError } from './errors';

const E164 = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether `value` is an E.164 phone number. */
export function isE164(value: string): boolean {
  return E164.test(value);
}

/** Whether `value` looks like an e-mail address (a cheap shape check; Infobip decides the rest). */
export function isEmailAddress(value: string): boolean {
  return EMAIL.test(value);
}

/**
 * Infobip's form of an E.164 number: the digits without `+`.
 * @throws InfobipInvalidArgumentError when `e164` is not E.164.
 */
export function toInfobipNumber(e164: string, call: string, argument = 'to'): string {
  if (!isE164(e164))
    throw new InfobipInvalidArgumentError(call, argument, 'must be an E.164 number like +41793026727');
  return e164.slice(1);
}

/** E.164 form of a number Infobip returned as digits (`41793026727` → `+41793026727`). */
export function fromInfobipNumber(digits: string): string {
  return digits.startsWith('+') ? digits : `+${digits}`;
}
