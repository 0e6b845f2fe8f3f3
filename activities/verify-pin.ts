/**
 * `verifyPin`: checks a code with Infobip. Wrong, expired and exhausted PINs are answers
 * (`verified: false` with a `pinError`), not failures.
 */
import { Context } from '@temporalio/activity';
import type { InfobipClient } from '../infobip/client';
import type { ApplicationDirectory } from './directory';
import { guarded } from './context';
import type { TranslateOptions } from './failures';
import type { PinError, VerifyPinInput, VerifyPinResult } from './types';

const PIN_ERRORS: readonly PinError[] = ['WRONG_PIN', 'TTL_EXPIRED', 'NO_MORE_PIN_ATTEMPTS'];

/** What `verifyPin` needs. */
export interface VerifyDeps {
  infobip: InfobipClient;
  directory: ApplicationDirectory;
  translate: TranslateOptions;
  clockSkewMs: number;
}

/**
 * Builds `verifyPin`. A retry after a lost answer meets a PIN the first attempt may have
 * consumed (`allowMultiplePinVerifications: false` → `NO_MORE_PIN_ATTEMPTS`); when the input
 * names the application, the retry then asks the verification status whether that PIN's
 * destination was verified since this activity was scheduled, and answers the success it missed.
 * (A lost answer to a *wrong* code cannot be told apart: its retry costs a second attempt.)
 */
export function makeVerifyPin(deps: VerifyDeps): (input: VerifyPinInput) => Promise<VerifyPinResult> {
  return (input) =>
    guarded(deps.translate, async (signal) => {
      const res = await deps.infobip.verifyPin(input.pinId, input.code, { signal });
      const { info } = Context.current();
      if (!res.verified && res.pinError === 'NO_MORE_PIN_ATTEMPTS' && info.attempt > 1 && input.application && res.msisdn) {
        const appId = await deps.directory.applicationId(input.application);
        const status = await deps.infobip.getVerificationStatus(appId, { msisdn: res.msisdn, verified: true }, { signal });
        const from = info.scheduledTimestampMs - deps.clockSkewMs;
        if (status.verifications.some((v) => v.verified && v.verifiedAt !== undefined && v.verifiedAt >= from)) {
          return { verified: true, attemptsRemaining: 0 };
        }
      }
      const result: VerifyPinResult = { verified: res.verified, attemptsRemaining: res.attemptsRemaining ?? 0 };
      if (!res.verified) {
        result.pinError = PIN_ERRORS.includes(res.pinError as PinError) ? (res.pinError as PinError) : 'WRONG_PIN';
      }
      return result;
    });
}
