/** Expiry, resend, fallback and cancel of the verification workflow, with real timers in seconds. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelSignal, resendUpdate, statusQuery, verifyUpdate } from '../domain/messages';
import { eventually, recordHistory, startFlow, waitSettled } from './harness/flows';
import { startStack, testNumber, type Stack } from './harness/stack';
import { connectTestEnv } from './harness/temporal';

const VERIFY = 'POST /2fa/2/pin/{pinId}/verify';
let env: TestWorkflowEnvironment;
let stack: Stack;
let slowHook: Server;
let slowHookUrl: string;
let hookCalls = 0;

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startStack(env);
  // A webhook receiver that answers after 4 s keeps a finished flow open for a while.
  slowHook = createServer((req, res) => {
    hookCalls += 1;
    req.resume();
    setTimeout(() => res.writeHead(204).end(), 4000);
  });
  await new Promise<void>((r) => slowHook.listen(0, '127.0.0.1', r));
  slowHookUrl = `http://127.0.0.1:${(slowHook.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await stack?.close();
  await new Promise((r) => slowHook?.close(r));
  await env?.teardown();
});

describe('verification workflow: timers', () => {
  it('expires on its own timer and answers a late code EXPIRED without calling Infobip', async () => {
    const to = testNumber();
    const handle = await startFlow(
      stack,
      stack.input(to, {
        policy: { ttlSeconds: 2 },
        webhook: { url: slowHookUrl, secretRef: 'TEST_WEBHOOK_SECRET' },
      }),
    );
    const state = await waitSettled(handle);
    const verifies = stack.requests(VERIFY);
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.status === 'EXPIRED',
    );
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(state.expiresAt!));
    // The flow is still open (delivering its webhook): the late code is refused by the validator.
    const err = await handle
      .executeUpdate(verifyUpdate, { args: [stack.inbox(to)[0]!.pin] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause).toMatchObject({
      type: 'NotPending',
      details: ['EXPIRED'],
    });
    expect(stack.requests(VERIFY)).toBe(verifies);
    const result = await handle.result();
    expect(result.status).toBe('EXPIRED');
    expect(result.timeline.at(-1)).toMatchObject({ kind: 'WEBHOOK', outcome: 'DELIVERED', httpStatus: 204 });
    expect(hookCalls).toBeGreaterThan(0);
    await recordHistory(handle, 'expired-with-webhook');
  });

  it('refuses a resend within the cooldown and sends the same PIN again after it', async () => {
    const to = testNumber();
    const handle = await startFlow(
      stack,
      stack.input(to, { policy: { resendCooldownSeconds: 2, maxResends: 1 } }),
    );
    await waitSettled(handle);
    const early = await handle.executeUpdate(resendUpdate);
    expect(early).toMatchObject({ accepted: false, reason: 'COOLDOWN', resendsRemaining: 1 });
    expect(Date.parse(early.nextResendAt!)).toBeGreaterThan(Date.now());
    await new Promise((r) => setTimeout(r, Math.max(Date.parse(early.nextResendAt!) - Date.now(), 0) + 300));
    const later = await handle.executeUpdate(resendUpdate);
    expect(later).toMatchObject({ accepted: true, resendsRemaining: 0, channel: 'SMS' });
    const inbox = stack.inbox(to);
    expect(inbox).toHaveLength(2);
    expect(inbox[0]!.pin).toBe(inbox[1]!.pin);
    await new Promise((r) => setTimeout(r, 2200));
    expect(await handle.executeUpdate(resendUpdate)).toMatchObject({
      accepted: false,
      reason: 'MAX_RESENDS',
    });
    expect(await handle.executeUpdate(verifyUpdate, { args: [inbox[0]!.pin] })).toMatchObject({
      verified: true,
    });
    await recordHistory(handle, 'resend-cooldown');
  });

  it('falls back to voice on its timer and verifies the voice PIN', async () => {
    const to = testNumber();
    const handle = await startFlow(
      stack,
      stack.input(to, { policy: { fallback: [{ channel: 'VOICE', afterSeconds: 2 }] } }),
    );
    await waitSettled(handle);
    const inbox = await eventually(
      () => stack.inbox(to),
      (m) => m.length === 2,
    );
    expect(inbox.map((m) => m.channel)).toEqual(['VOICE', 'SMS']);
    expect((await handle.query(statusQuery)).channel).toBe('VOICE');
    expect(await handle.executeUpdate(verifyUpdate, { args: [inbox[0]!.pin] })).toMatchObject({
      verified: true,
    });
    const result = await handle.result();
    expect(result.channel).toBe('VOICE');
    expect(result.timeline.find((e) => e.kind === 'FALLBACK')).toMatchObject({ from: 'SMS', to: 'VOICE' });
    await recordHistory(handle, 'fallback-voice');
  });

  it('ends as CANCELLED on the cancel signal', async () => {
    const to = testNumber();
    const handle = await startFlow(stack, stack.input(to));
    await waitSettled(handle);
    await handle.signal(cancelSignal, 'user closed the dialog');
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'CANCELLED', reason: 'user closed the dialog', verified: false });
    await recordHistory(handle, 'cancelled');
  });
});
