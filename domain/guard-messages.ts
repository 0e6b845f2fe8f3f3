/**
 * Messages of the guard workflow (one per application, ID `guardWorkflowId(application)`),
 * as plain typed objects like `messages.ts`, so clients use them without loading workflow code.
 */
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { BlockRequest, GuardFeed, GuardView, PrefixBlock, UnblockRequest } from './guard-types';

/** Name of the guard's workflow type. */
export const GUARD_WORKFLOW_TYPE = 'guardWorkflow';

/**
 * Workflow ID of an application's guard: `otpflow-guard/<application>`. The `/` never occurs in
 * a verification ID (derived or caller-chosen), so no verification can take it.
 */
export function guardWorkflowId(application: string): string {
  return `otpflow-guard/${application}`;
}

/** A worker's aggregated send and verification counts per prefix (at most about one a second). */
export const guardFeedSignal = { type: 'signal', name: 'guardFeed' } as SignalDefinition<[GuardFeed]>;

/** An operator blocks a prefix; answers the block. */
export const guardBlockUpdate = { type: 'update', name: 'guardBlock' } as UpdateDefinition<
  PrefixBlock,
  [BlockRequest]
>;

/** An operator lifts a block; answers the lifted block, or null when the prefix was not blocked. */
export const guardUnblockUpdate = { type: 'update', name: 'guardUnblock' } as UpdateDefinition<
  PrefixBlock | null,
  [UnblockRequest]
>;

/** Blocks, prefixes over their velocity limit and the busiest prefixes. */
export const guardViewQuery = { type: 'query', name: 'guardView' } as QueryDefinition<GuardView, []>;

/**
 * Memo key under which the guard keeps what a start is judged by — `{ blocks, limited }` of its
 * view — upserted whenever it changes. API instances read it with a describe call, a read of
 * the server alone: unlike a query it needs no worker, so a block reaches every instance in
 * about a second even when the workers are saturated by the very attack being blocked.
 */
export const GUARD_ADMISSION_MEMO = 'guardAdmission';
