/**
 * Destination formats: otpflow speaks E.164 (`+41793026727`), Infobip wants digits
 * (`41793026727`). What a destination must look like is `domain/destination.ts`'s to say.
 */
import { isE164 } from '../domain/destination';
import { InfobipInvalidArgumentError } from './errors';

/**
 * Infobip's form of an E.164 number: the digits without `+`.
 * @throws InfobipInvalidArgumentError when `e164` is not E.164.
 */
export function toInfobipNumber(e164: string, call: string, argument = 'to'): string {
  if (!isE164(e164))
    throw new InfobipInvalidArgumentError(call, argument, 'must be an E.164 number like +41793026727');
  return e164.slice(1);
}
