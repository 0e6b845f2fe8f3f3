/**
 * Lookup outcomes, Infobip's send limit and duplicate starts of the verification workflow,
 * and its `start` Update as `OtpClient.start` sends it (update-with-start).
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtpClient } from '../client/otp-client';
import { cancelSignal, verifyUpdate } from '../domain/messages';
import { verificationWorkflow } from '../workflows';
import { eventually, recordHistory, startFlow, waitSettled } from './harness/flows';
import { startStack, testApplication, testNumber, type Stack } from './harness/stack';
import { connectTestEnv } from './harness/temporal';

const SEND = 'POST /2fa/2/pin';
const RESEND = 'POST /2fa/2/pin/{pinId}/resend';
let env: TestWorkflowEnvironment;
let stack: Stack;
let otp: OtpClient;
const limited = testApplication(undefined);
limited.infobip = { ...limited.infobip, sendPinPerPhoneNumberLimit: '1/1d' };

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startStack(env, { applications: [testApplication(), limited] });
  otp = new OtpClient({
    client: env.client,
    applications: stack.applications,
    destinationHashKey: Buffer.alloc(32, 7),
    taskQueue: stack.worker.taskQueue,
  });
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
    expect(result).toMatchObject({ reasonCode: 'NUMBER_UNKNOWN' });
    expect(result.timeline[0]).toMatchObject({ reason: expect.stringMatching(/EC_UNKNOWN_SUBSCRIBER/) });
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

  it('answers a start once the PIN went out; a start that attaches writes no history event', async () => {
    const to = testNumber();
    const app = stack.applications[0]!.name;
    const first = await otp.start({ application: app, destination: to });
    expect(first).toMatchObject({ status: 'PENDING', channel: 'SMS', created: true });
    const handle = env.client.workflow.getHandle<typeof verificationWorkflow>(first.id);
    const events = (await handle.fetchHistory()).events?.length;
    const again = await otp.start({ application: app, destination: to });
    expect(again).toEqual({ ...first, created: false });
    expect((await handle.fetchHistory()).events?.length).toBe(events);
    expect(stack.inbox(to)).toHaveLength(1);
    expect(await handle.executeUpdate(verifyUpdate, { args: [stack.inbox(to)[0]!.pin] })).toMatchObject({
      verified: true,
    });
    await handle.result();
    await recordHistory(handle, 'started-by-update');
  });

  it('starts a new flow when a start reaches one that has ended and is still closing', async () => {
    const to = testNumber();
    const app = stack.applications[0]!.name;
    const first = await otp.start({ application: app, destination: to });
    const { runId } = await env.client.workflow.getHandle(first.id).describe();
    const handle = env.client.workflow.getHandle<typeof verificationWorkflow>(first.id, runId, {
      followRuns: false,
    });
    // Infobip holds a resend for 3 s; a cancel meanwhile ends the flow, which stays open until
    // the resend's handler is done.
    stack.emulator.faults.add({
      match: { method: 'POST', path: '^/2fa/2/pin/[^/]+/resend$' },
      times: 1,
      action: { latencyMs: 3000 },
    });
    const resends = stack.requests(RESEND);
    await new Promise((r) => setTimeout(r, 1100)); // the resend cooldown
    const resending = otp.resend(first.id);
    await eventually(
      () => stack.requests(RESEND),
      (n) => n > resends,
    );
    await handle.signal(cancelSignal, 'closing test');
    expect((await otp.status(first.id)).status).toBe('CANCELLED');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const again = await otp.start({ application: app, destination: to });
    expect(again).toMatchObject({ id: first.id, status: 'PENDING', created: true });
    expect((await handle.result()).status).toBe('CANCELLED');
    await resending;
    expect((await env.client.workflow.getHandle(first.id).describe()).runId).not.toBe(runId);
    const sends = stack.inbox(to).filter((m) => m.channel === 'SMS');
    expect(sends).toHaveLength(3); // the first PIN, its resend, the new flow's PIN
    await otp.cancel(again.id);
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
