/**
 * `verifyPin`: checks a code with Infobip. Wrong, expired and exhausted PINs are answers
 * (`verified: false` with a `pinError`), not failures.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { InfobipClient } from '../infobip/client';
import type { ApplicationDirectory } from './directory';
import { guarded } from './context';
import type { TranslateOptions } from './failures';
import type { GuardFeedSink, PinError, VerifyPinInput, VerifyPinResult } from './types';

const PIN_ERRORS: readonly PinError[] = ['WRONG_PIN', 'TTL_EXPIRED', 'NO_MORE_PIN_ATTEMPTS'];

/** What `verifyPin` needs. */
export interface VerifyDeps {
  infobip: InfobipClient;
  directory: ApplicationDirectory;
  translate: TranslateOptions;
  clockSkewMs: number;
  /** Told of every verified code (the abuse guard's feed). */
  guardFeed?: GuardFeedSink;
}

/**
 * Builds `verifyPin`. A retry after a lost answer meets a PIN the first attempt may have
 * consumed (`allowMultiplePinVerifications: false` → `NO_MORE_PIN_ATTEMPTS`). The retry then
 * asks the verification status whether that PIN's destination (`msisdn` of the answer) was
 * verified since this activity was scheduled — in the input's application, or in each declared
 * one when the input names none — and answers the success it missed. Only one flow checks a
 * destination of an application at a time, so a success in that window is this one.
 * (A lost answer to a *wrong* code cannot be told apart: its retry costs a second attempt.)
 */
export function makeVerifyPin(deps: VerifyDeps): (input: VerifyPinInput) => Promise<VerifyPinResult> {
  return (input) =>
    guarded(deps.translate, async (signal) => {
      const res = await deps.infobip.verifyPin(input.pinId, input.code, { signal });
      const { info } = Context.current();
      if (!res.verified && res.pinError === 'NO_MORE_PIN_ATTEMPTS' && info.attempt > 1 && res.msisdn) {
        const from = info.scheduledTimestampMs - deps.clockSkewMs;
        for (const name of input.application ? [input.application] : deps.directory.names()) {
          const appId = await deps.directory.applicationId(name).catch((err: unknown) => {
            // Looking through every declared application: one not set up is simply not it.
            if (input.application || !(err instanceof ApplicationFailure)) throw err;
            return undefined;
          });
          if (appId === undefined) continue;
          const status = await deps.infobip.getVerificationStatus(
            appId,
            { msisdn: res.msisdn, verified: true },
            { signal },
          );
          if (
            status.verifications.some((v) => v.verified && v.verifiedAt !== undefined && v.verifiedAt >= from)
          ) {
            deps.guardFeed?.verified(name, res.msisdn);
            return { verified: true, attemptsRemaining: 0 };
          }
        }
      }
      const result: VerifyPinResult = {
        verified: res.verified,
        attemptsRemaining: res.attemptsRemaining ?? 0,
      };
      if (res.verified && res.msisdn && input.application)
        deps.guardFeed?.verified(input.application, res.msisdn);
      if (!res.verified) {
        result.pinError = PIN_ERRORS.includes(res.pinError as PinError)
          ? (res.pinError as PinError)
          : 'WRONG_PIN';
      }
      return result;
    });
}
