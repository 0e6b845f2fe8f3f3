/** How the workflows call their activities: timeouts and retry policies, by kind of call. */
import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { OtpActivities } from '../activities/types';
import { FailureTypes, WebhookFailureTypes } from '../domain/failures';
import { DEFAULT_CHECK_TIMEOUT_SECONDS } from '../domain/policy';
import type { VerificationPolicy } from '../domain/types';

const DEFAULT_RETRY_BUDGET_SECONDS = 120;
/**
 * Of a check's end-to-end budget, what the round trips around the verify call take (the
 * caller's Update to Temporal, the workflow tasks before and after, the answer back).
 */
const CHECK_ROUND_TRIP_MS = 1000;

/** How many attempts fit in `budgetMs` with exponential backoff (the first attempt included). */
export function attemptsWithin(
  budgetMs: number,
  initialMs: number,
  coefficient: number,
  maxMs: number,
): number {
  let attempts = 1;
  let elapsed = 0;
  let delay = initialMs;
  while (elapsed + delay <= budgetMs) {
    elapsed += delay;
    attempts += 1;
    delay = Math.min(delay * coefficient, maxMs);
  }
  return attempts;
}

/**
 * Sends are regular activities: on a retry they reconcile with Infobip instead of sending a
 * second PIN. An attempt may make up to three calls, hence 30 s; the 5 s heartbeat lets a
 * cancellation reach a running send.
 */
function sendOptions(budget: string, nonRetryableErrorTypes: string[]): ActivityOptions {
  return {
    startToCloseTimeout: '30s',
    heartbeatTimeout: '5s',
    scheduleToCloseTimeout: budget,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', nonRetryableErrorTypes },
  };
}

/**
 * The verification's Infobip calls, with the policy's retry budget for sends and lookups. Every
 * failure type an activity throws on purpose is final (`FailureTypes`).
 */
export function activitiesFor(policy: VerificationPolicy) {
  const budgetSeconds = policy.retryBudgetSeconds ?? DEFAULT_RETRY_BUDGET_SECONDS;
  const nonRetryableErrorTypes = Object.values(FailureTypes);
  const send = proxyActivities<OtpActivities>(sendOptions(`${budgetSeconds}s`, nonRetryableErrorTypes));
  // A repeated resend delivers the same PIN again and counts against the per-number limit,
  // so it is tried a few times only.
  const resend = proxyActivities<OtpActivities>({
    startToCloseTimeout: '30s',
    heartbeatTimeout: '5s',
    scheduleToCloseTimeout: '60s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes },
  });
  // Verify is a regular activity although a person waits for it: it consumes an Infobip
  // attempt, and a local activity is re-run when its workflow task is lost (a crash, an
  // eviction under a flood of checks), which would spend attempts nobody made. A person waits
  // for it: errors are retried quickly, and an Infobip that errs or stays silent is given up
  // within the policy's check budget (one attempt may use all of it).
  const checkMs = (policy.checkTimeoutSeconds ?? DEFAULT_CHECK_TIMEOUT_SECONDS) * 1000 - CHECK_ROUND_TRIP_MS;
  const verify = proxyActivities<OtpActivities>({
    startToCloseTimeout: checkMs,
    scheduleToCloseTimeout: checkMs,
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '1s', nonRetryableErrorTypes },
  });
  // Lookup is a read, safe to repeat: a local activity costs one history event instead of
  // three and no round trip through the server's queues. The SDK does not stop local retries
  // at scheduleToCloseTimeout, so the budget is also spent as a number of attempts.
  const lookup = proxyLocalActivities<OtpActivities>({
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: `${budgetSeconds}s`,
    localRetryThreshold: '10s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '20s',
      maximumAttempts: attemptsWithin(budgetSeconds * 1000, 1000, 2, 20_000),
      nonRetryableErrorTypes,
    },
  });
  return {
    lookupNumber: lookup.lookupNumber,
    sendPin: send.sendPin,
    resendPin: resend.resendPin,
    verifyPin: verify.verifyPin,
  };
}

/** The verification's Infobip calls (see `activitiesFor`). */
export type VerificationActivities = ReturnType<typeof activitiesFor>;

/**
 * Webhook delivery: retried for a day, backing off to ten minutes; a receiver that rejects the
 * call (4xx other than 408/429) is not asked again.
 */
export function webhookActivity(): OtpActivities['deliverWebhook'] {
  return proxyActivities<OtpActivities>({
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: '24h',
    retry: {
      initialInterval: '5s',
      backoffCoefficient: 2,
      maximumInterval: '10m',
      nonRetryableErrorTypes: [WebhookFailureTypes.REJECTED],
    },
  }).deliverWebhook;
}
