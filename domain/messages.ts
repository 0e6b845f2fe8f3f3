/**
 * Signals, updates and queries of the verification workflow, shared by the workflow (which
 * sets their handlers) and its callers. Plain typed objects, exactly what `defineUpdate`,
 * `defineSignal` and `defineQuery` return, built without `@temporalio/workflow` so that a
 * client importing them does not load workflow code.
 */
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { CheckResult, ResendResult, StartAnswer, StartRequest, VerificationState } from './types';

const update = <Ret, Args extends unknown[]>(name: string) =>
  ({ type: 'update', name }) as UpdateDefinition<Ret, Args>;
const signal = <Args extends unknown[]>(name: string) => ({ type: 'signal', name }) as SignalDefinition<Args>;
const query = <Ret>(name: string) => ({ type: 'query', name }) as QueryDefinition<Ret, []>;

/**
 * Sent with the workflow's start (update-with-start): answers once the first send is known.
 * Attaching to a running flow sends nothing. The validator refuses another destination's flow
 * and a flow that has ended and is closing.
 */
export const startUpdate = update<StartAnswer, [StartRequest]>('start');

/** Check a code and answer at once. Malformed codes and finished flows are rejected by the validator. */
export const verifyUpdate = update<CheckResult, [code: string]>('verify');

/** Send the PIN again (same channel), honouring cooldown and maximum. */
export const resendUpdate = update<ResendResult, []>('resend');

/** Fire-and-forget code check; read its outcome with `statusQuery` (`lastCheck`). */
export const submitCodeSignal = signal<[code: string]>('submitCode');

/** End the flow as CANCELLED. */
export const cancelSignal = signal<[reason?: string]>('cancel');

/** Current state of the flow, never the PIN. */
export const statusQuery = query<VerificationState>('status');
