/** Signals, updates and queries of the verification workflow, shared with clients. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CheckResult, ResendResult, StartAnswer, StartRequest, VerificationState } from './types';

/**
 * Sent with the workflow's start (update-with-start): answers once the first send is known.
 * Attaching to a running flow sends nothing. The validator refuses another destination's flow
 * and a flow that has ended and is closing.
 */
export const startUpdate = defineUpdate<StartAnswer, [StartRequest]>('start');

/** Check a code and answer at once. Malformed codes and finished flows are rejected by the validator. */
export const verifyUpdate = defineUpdate<CheckResult, [code: string]>('verify');

/** Send the PIN again (same channel), honouring cooldown and maximum. */
export const resendUpdate = defineUpdate<ResendResult, []>('resend');

/** Fire-and-forget code check; read its outcome with `statusQuery` (`lastCheck`). */
export const submitCodeSignal = defineSignal<[code: string]>('submitCode');

/** End the flow as CANCELLED. */
export const cancelSignal = defineSignal<[reason?: string]>('cancel');

/** Current state of the flow, never the PIN. */
export const statusQuery = defineQuery<VerificationState>('status');
