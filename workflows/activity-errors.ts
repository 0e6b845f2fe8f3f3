/** What a failed activity says, read in workflow code. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** What an activity failure wraps (the error itself for anything else). */
function rootOf(err: unknown): unknown {
  return err instanceof ActivityFailure ? (err.cause ?? err) : err;
}

/** The ApplicationFailure at the root of an activity failure, if there is one. */
function applicationFailure(err: unknown): ApplicationFailure | undefined {
  const root = rootOf(err);
  return root instanceof ApplicationFailure ? root : undefined;
}

/** The failure type at the root of an activity failure, if it is an ApplicationFailure. */
export function failureType(err: unknown): string | undefined {
  return applicationFailure(err)?.type ?? undefined;
}

/** The count of lost send answers an `OtpflowSendAnswersLost` failure carries, if any. */
export function lostAnswers(err: unknown): number | undefined {
  const n = applicationFailure(err)?.details?.[0];
  return typeof n === 'number' && n > 0 ? n : undefined;
}

/** The wait Infobip asked for (`Retry-After`, in ms) in an Infobip failure's details, if any. */
export function retryAfterMs(err: unknown): number | undefined {
  const details = applicationFailure(err)?.details?.[0] as { retryAfterMs?: unknown } | undefined;
  return typeof details?.retryAfterMs === 'number' ? details.retryAfterMs : undefined;
}

/** The message at the root of an activity failure. */
export function failureMessage(err: unknown): string {
  const root = rootOf(err);
  return root instanceof Error ? root.message : String(root);
}
