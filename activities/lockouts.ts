/**
 * `countLockouts`: how often a destination was locked lately, read from Temporal's visibility
 * store (`OtpDestinationHash`, `OtpApplication`, `OtpStatus="LOCKED"`), so a repeated lockout
 * grows without any store besides Temporal. It runs only when a flow locks: the happy path
 * never pays for it.
 */
import { Context } from '@temporalio/activity';
import { INVALID_INPUT } from '../domain/failures';
import type { CountLockoutsInput } from './types';
import { permanent } from './failures';

const APPLICATION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HASH = /^[0-9a-f]{8,64}$/;

/** The visibility query of `countLockouts` (input values are checked before they reach it). */
export function lockoutQuery(input: CountLockoutsInput, nowMs: number, ownRunId: string): string {
  const since = new Date(nowMs - input.windowSeconds * 1000).toISOString();
  return [
    'WorkflowType="verificationWorkflow"',
    `OtpApplication="${input.application}"`,
    `OtpDestinationHash="${input.destinationHash}"`,
    'OtpStatus="LOCKED"',
    `StartTime > "${since}"`,
    `RunId != "${ownRunId}"`,
  ].join(' AND ');
}

/** Builds `countLockouts` on the worker's own Temporal client (the activity context's). */
export function makeCountLockouts(): (input: CountLockoutsInput) => Promise<number> {
  return async (input) => {
    if (
      !APPLICATION.test(input?.application ?? '') ||
      !HASH.test(input?.destinationHash ?? '') ||
      !(Number.isInteger(input?.windowSeconds) && input.windowSeconds > 0)
    ) {
      throw permanent(
        INVALID_INPUT,
        'countLockouts: application, destinationHash or windowSeconds is malformed',
      );
    }
    const ctx = Context.current();
    const runId = ctx.info.workflowExecution?.runId ?? '';
    const { count } = await ctx.client.workflow.count(lockoutQuery(input, Date.now(), runId));
    return count;
  };
}
