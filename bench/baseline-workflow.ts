/**
 * The benchmark's baseline: the least Temporal needs to do the same I/O as one happy-path
 * verification. Three activities, one HTTP call each (Number Lookup, send PIN, verify PIN),
 * the last one run from inside an Update handler, as otpflow's `verify` does. Which of the
 * three run as local activities is an input, so the bench matches otpflow's kinds (see
 * `OTPFLOW_KINDS` in run.ts) and the alternatives show what the choice costs. No timers, no search attributes,
 * no timeline, no metrics: whatever otpflow measures above this is its own cost. With
 * `operatorState` it also keeps otpflow's upserts and expiry timer: the bench's ceiling.
 */
import {
  condition,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { OTP_STATUS } from '../workflows/constants';
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
   * The ceiling's server-side state (with otpflow's start metadata, see `ceilingTarget`): the
   * `OtpStatus` upserts of a happy path (PENDING after the send, the outcome at the end) and an
   * expiry timer of `ttlSeconds` cancelled by the check — without otpflow's workflow code.
   */
  operatorState?: { ttlSeconds: number };
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
  if (state) {
    upsertSearchAttributes([{ key: OTP_STATUS, value: 'PENDING' }]);
    await condition(() => verified !== undefined, state.ttlSeconds * 1000);
    upsertSearchAttributes([{ key: OTP_STATUS, value: verified ? 'VERIFIED' : 'EXPIRED' }]);
  } else {
    await condition(() => verified !== undefined);
  }
  return verified === true;
}
