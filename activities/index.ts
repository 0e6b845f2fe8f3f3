/**
 * The activities of otpflow: `createActivities(deps)` returns the `OtpActivities` the
 * verification workflow calls (see `types.ts`). Setting Infobip up is `setup/`'s business.
 */
import type { Dispatcher } from 'undici';
import type { ApplicationDeclaration } from '../config/types';
import { isE164, isEmailAddress } from '../domain/destination';
import { FailureTypes } from '../domain/failures';
import type { InfobipClient } from '../infobip/client';
import { ApplicationDirectory } from './directory';
import { guarded } from './context';
import { permanent } from './failures';
import { makeCountLockouts } from './lockouts';
import { reduceLookup } from './lookup';
import { makeResendPin, makeSendPin } from './send-pin';
import { checkIdentity } from './identity-check';
import type { GuardFeedSink, LookupInput, LookupResult, OtpActivities } from './types';
import { makeVerifyPin } from './verify-pin';
import { defaultWebhookDispatcher, makeDeliverWebhook } from './webhook';

export * from './types';
export {
  FailureTypes,
  RetryableFailureTypes,
  WebhookFailureTypes,
  type FailureType,
} from '../domain/failures';
export type { InfobipFailureDetails } from './failures';
export { SIGNATURE_HEADER, signWebhook } from './webhook';
export { reduceLookup } from './lookup';
export type { SendHeartbeat } from './send-pin';

/** What the activities need. */
export interface ActivityDeps {
  infobip: InfobipClient;
  /** The declared applications (names are Infobip application names). */
  applications: ApplicationDeclaration[];
  /** Webhook HMAC secrets by `secretRef`. */
  webhookSecrets?: Record<string, string>;
  /** Dispatcher for webhook calls (tests, proxies). @default a keep-alive undici Agent */
  webhookDispatcher?: Dispatcher;
  /** Milliseconds a webhook receiver has to answer. @default 10000 */
  webhookTimeoutMs?: number;
  /** A 429 asking to wait longer than this ends the send as `InfobipRateLimited`. @default 60000 */
  maxRetryAfterMs?: number;
  /** Allowance for the difference between the worker's and Infobip's clocks. @default 2000 */
  clockSkewMs?: number;
  /** How often a running call heartbeats (the SDK throttles further). @default 1000 */
  heartbeatIntervalMs?: number;
  /**
   * Lost send answers after which a send fails (`OtpflowSendAnswersLost`) instead of sending
   * one more fresh PIN; each lost answer is one message the person got. @default 3
   */
  maxLostSendAnswers?: number;
  /** Told of every PIN sent and code verified: the abuse guard's feed (the worker's `GuardReporter`). */
  guardFeed?: GuardFeedSink;
  /**
   * The deployment's destination-hash key (`OTPFLOW_DESTINATION_HASH_KEY`). With it, the first
   * call that would reach Infobip (lookup or send) refuses a flow whose destination hash or
   * derived ID was made with another key (`OtpflowIdentityMismatch`). Without it: no check.
   */
  destinationHashKey?: Buffer;
}

/** Builds the activities; register the result with a worker (`activities: createActivities(deps)`). */
export function createActivities(deps: ActivityDeps): OtpActivities {
  const directory = new ApplicationDirectory(deps.infobip, deps.applications);
  const translate = { maxRetryAfterMs: deps.maxRetryAfterMs };
  const common = {
    infobip: deps.infobip,
    directory,
    translate,
    clockSkewMs: deps.clockSkewMs ?? 2_000,
    heartbeatIntervalMs: deps.heartbeatIntervalMs ?? 1_000,
    maxLostAnswers: deps.maxLostSendAnswers ?? 3,
    guardFeed: deps.guardFeed,
    destinationHashKey: deps.destinationHashKey,
  };

  async function lookupNumber(input: LookupInput): Promise<LookupResult> {
    return guarded(translate, async (signal) => {
      directory.declaration(input.application);
      checkIdentity(deps.destinationHashKey, input);
      if (isEmailAddress(input.destination)) return { outcome: 'REACHABLE', reason: 'EMAIL' };
      if (!isE164(input.destination)) {
        throw permanent(
          FailureTypes.INVALID_DESTINATION,
          'destination is neither an E.164 number nor an e-mail address',
        );
      }
      const res = await deps.infobip.lookupNumbers([input.destination], { signal });
      return reduceLookup(res.results[0]);
    });
  }

  return {
    lookupNumber,
    sendPin: makeSendPin(common),
    resendPin: makeResendPin(common),
    verifyPin: makeVerifyPin(common),
    deliverWebhook: makeDeliverWebhook({
      secrets: deps.webhookSecrets ?? {},
      dispatcher: deps.webhookDispatcher ?? defaultWebhookDispatcher(),
      timeoutMs: deps.webhookTimeoutMs ?? 10_000,
    }),
    countLockouts: makeCountLockouts(),
  };
}
