/**
 * The benchmark's baseline: the least Temporal needs to do the same I/O as one happy-path
 * verification. Three activities, one HTTP call each (Number Lookup, send PIN, verify PIN),
 * the last one run from inside an Update handler, as otpflow's `verify` does. Which of the
 * three run as local activities is an input, so the bench matches otpflow's kinds (see
 * `OTPFLOW_KINDS` in run.ts) and the alternatives show what the choice costs. No timers, no search attributes,
 * no timeline, no metrics: whatever otpflow measures above this is its own cost. With
 * `operatorState` it also keeps otpflow's upserts and expiry timer, all of them (the bench's
 * ceiling) or some (`--pieces`, what each costs).
 */
import {
  condition,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { OTP_STATUS } from '../domain/constants';
import type { BaselineActivities } from './baseline-activities';

/** How an activity runs: `L` local, `R` regular (through the server's activity task queue). */
export type ActivityKind = 'L' | 'R';

/** Start input of the baseline workflow. */
export interface BaselineInput {
  /** E.164 destination. */
  to: string;
  applicationId: string;
  messageId: string;
  /** Kinds of lookup, send and verify, e.g. `LRR` (what otpflow uses). */
  kinds: `${ActivityKind}${ActivityKind}${ActivityKind}`;
  /**
   * The ceiling's server-side state (with otpflow's start metadata, see `ceilingTarget`) —
   * without otpflow's workflow code. All three parts for the ceiling; `--pieces` drops one.
   */
  operatorState?: OperatorState;
}

/** The state otpflow's happy path keeps for operators after the start, part by part. */
export interface OperatorState {
  /** Upsert `OtpStatus` PENDING once the send has completed. */
  pendingUpsert: boolean;
  /** Upsert the outcome as `OtpStatus` before returning. */
  terminalUpsert: boolean;
  /** An expiry timer of this many seconds that the check cancels; 0 for none. */
  ttlSeconds: number;
}

/** Failure type a check got before the send completed, when the baseline refused such checks; it now holds them as otpflow does, so the driver's retry on it is a safeguard. */
export const NOT_READY = 'NotReady';

/** Checks a code; held (like otpflow's `verify`) until the PIN's ID is known. */
export const baselineCheckUpdate = defineUpdate<boolean, [code: string]>('check');

// otpflow's verify and lookup timeouts and first retry intervals; happy paths never retry.
const regular = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '120s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s' },
});
const local = proxyLocalActivities<BaselineActivities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '20s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '3s' },
});

/** Lookup, send, then wait for one `check` Update; returns whether the code was right. */
export async function baselineWorkflow(input: BaselineInput): Promise<boolean> {
  const via = (i: number) => (input.kinds[i] === 'L' ? local : regular);
  let pinId: string | undefined = undefined;
  let verified: boolean | undefined;
  setHandler(baselineCheckUpdate, async (code: string) => {
    await condition(() => pinId !== undefined);
    verified = await via(2).baselineVerify(pinId as string, code);
    return verified;
  });
  await via(0).baselineLookup(input.to);
  pinId = await via(1).baselineSend(input.to, input.applicationId, input.messageId);
  const state = input.operatorState;
  if (state?.pendingUpsert) upsertSearchAttributes([{ key: OTP_STATUS, value: 'PENDING' }]);
  if (state?.ttlSeconds) await condition(() => verified !== undefined, state.ttlSeconds * 1000);
  else await condition(() => verified !== undefined);
  if (state?.terminalUpsert)
    upsertSearchAttributes([{ key: OTP_STATUS, value: verified ? 'VERIFIED' : 'EXPIRED' }]);
  return verified === true;
}
