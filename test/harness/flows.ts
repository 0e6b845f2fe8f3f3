/** Helpers for driving verification workflows in tests. */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { PROJECT_ROOT } from '../../scripts/temporal-cli';
import { workflowStartOptions } from '../../client/start-input';
import { statusQuery } from '../../domain/messages';
import type { VerificationInput, VerificationState } from '../../domain/types';
import { verificationWorkflow } from '../../workflows';
import type { Stack } from './stack';

export type VerificationHandle = WorkflowHandle<typeof verificationWorkflow>;

export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test', 'histories');

/** Starts a verification on the stack's worker, with the search attributes a client would set. */
export async function startFlow(stack: Stack, input: VerificationInput, workflowId = `wf-${randomUUID()}`) {
  return stack.env.client.workflow.start(
    verificationWorkflow,
    workflowStartOptions(workflowId, stack.worker.taskQueue, input),
  );
}

/** Polls the `status` query until the flow has left LOOKUP and SENDING. */
export async function waitSettled(
  handle: VerificationHandle,
  timeoutMs = 20_000,
): Promise<VerificationState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await handle.query(statusQuery);
    if (state.status !== 'LOOKUP' && state.status !== 'SENDING') return state;
    if (Date.now() > deadline) throw new Error(`flow ${handle.workflowId} still ${state.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `predicate` holds, polling; for things that cannot be awaited directly. */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  predicate: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (predicate(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Event type names of a flow's history, e.g. `WORKFLOW_EXECUTION_UPDATE_ACCEPTED`. */
export async function historyEventTypes(handle: VerificationHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  const json = JSON.parse(historyToJSON(history)) as { events: { eventType: string }[] };
  return json.events.map((e) => e.eventType);
}

/**
 * Saves a finished flow's history under test/histories/ when OTPFLOW_RECORD_HISTORIES=1, so
 * the replay suite checks that later workflow changes stay deterministic for it.
 */
export async function recordHistory(handle: VerificationHandle, name: string): Promise<void> {
  if (process.env.OTPFLOW_RECORD_HISTORIES !== '1') return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const history = await handle.fetchHistory();
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), historyToJSON(history));
}
