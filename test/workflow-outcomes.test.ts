/** Lookup outcomes, Infobip's send limit and duplicate starts of the verification workflow. */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyUpdate } from '../domain/messages';
import { verificationWorkflow } from '../workflows';
import { recordHistory, startFlow, waitSettled } from './harness/flows';
import { startStack, testApplication, testNumber, type Stack } from './harness/stack';
import { connectTestEnv } from './harness/temporal';

const SEND = 'POST /2fa/2/pin';
let env: TestWorkflowEnvironment;
let stack: Stack;
const limited = testApplication(undefined);
limited.infobip = { ...limited.infobip, sendPinPerPhoneNumberLimit: '1/1d' };

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startStack(env, { applications: [testApplication(), limited] });
});
afterAll(async () => {
  await stack?.close();
  await env?.teardown();
});

describe('verification workflow: outcomes', () => {
  it('ends UNDELIVERABLE when lookup says the number does not exist, sending nothing', async () => {
    const to = testNumber('0003');
    const sends = stack.requests(SEND);
    const handle = await startFlow(stack, stack.input(to, { policy: { lookup: 'REQUIRED' } }));
    const result = await handle.result();
    expect(result.status).toBe('UNDELIVERABLE');
    expect(result.reason).toMatch(/EC_UNKNOWN_SUBSCRIBER/);
    expect(result.timeline[0]).toMatchObject({ kind: 'LOOKUP', outcome: 'INVALID' });
    expect(stack.requests(SEND)).toBe(sends);
    expect(stack.inbox(to)).toHaveLength(0);
    await recordHistory(handle, 'undeliverable-lookup');
  });

  it('switches a number that cannot take SMS to voice', async () => {
    const to = testNumber('0006');
    const handle = await startFlow(stack, stack.input(to));
    const state = await waitSettled(handle);
    expect(state).toMatchObject({ status: 'PENDING', channel: 'VOICE' });
    const [call] = stack.inbox(to);
    expect(call?.channel).toBe('VOICE');
    await handle.executeUpdate(verifyUpdate, { args: [call!.pin] });
    expect((await handle.result()).channel).toBe('VOICE');
  });

  it('sends anyway when an advisory lookup finds the phone absent', async () => {
    const to = testNumber('0001');
    const handle = await startFlow(stack, stack.input(to, { policy: { lookup: 'ADVISORY' } }));
    expect((await waitSettled(handle)).status).toBe('PENDING');
    expect(stack.inbox(to)).toHaveLength(1);
    await handle.executeUpdate(verifyUpdate, { args: [stack.inbox(to)[0]!.pin] });
  });

  it('ends RATE_LIMITED when Infobip refuses a send over the per-number limit', async () => {
    const to = testNumber();
    const first = await startFlow(stack, stack.input(to, { application: limited.name }));
    await waitSettled(first);
    await first.executeUpdate(verifyUpdate, { args: [stack.inbox(to)[0]!.pin] });
    const second = await startFlow(stack, stack.input(to, { application: limited.name }));
    const result = await second.result();
    expect(result.status).toBe('RATE_LIMITED');
    expect(stack.inbox(to)).toHaveLength(1);
    await recordHistory(second, 'rate-limited');
  });

  it('attaches a second start for the same ID to the pending flow and sends nothing', async () => {
    const to = testNumber();
    const workflowId = `dup-${randomUUID()}`;
    const first = await startFlow(stack, stack.input(to), workflowId);
    await waitSettled(first);
    const second = await stack.env.client.workflow.start(verificationWorkflow, {
      taskQueue: stack.worker.taskQueue,
      workflowId,
      args: [stack.input(to)],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    expect(stack.inbox(to)).toHaveLength(1);
    await second.executeUpdate(verifyUpdate, { args: [stack.inbox(to)[0]!.pin] });
    expect((await first.result()).status).toBe('VERIFIED');
  });

  it('fails the start of an invalid input with a non-retryable InvalidInput naming the field', async () => {
    const input = stack.input(testNumber(), { policy: { ttlSeconds: 0 } });
    const handle = await startFlow(stack, input);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect((err as WorkflowFailedError).cause?.message).toMatch(/^policy\.ttlSeconds/);
  });
});
