/** Expiry, resend, fallback and cancel of the verification workflow, with real timers in seconds. */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../activities';
import { cancelSignal, resendUpdate, statusQuery, verifyUpdate } from '../domain/messages';
import type { TimelineEntry } from '../domain/types';
import type { webhookWorkflow } from '../workflows';
import { eventually, recordHistory, startFlow, waitSettled } from './harness/flows';
import { startStack, testNumber, type Stack } from './harness/stack';
import { connectTestEnv } from './harness/temporal';

const VERIFY = 'POST /2fa/2/pin/{pinId}/verify';
let env: TestWorkflowEnvironment;
let stack: Stack;
let hook: Server;
let hookUrl: string;
/** What the webhook receiver answers: 503 (down) until a test says otherwise. */
let hookStatus = 503;
const hookCalls: { signature: string; body: string; status: number }[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startStack(env);
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hookCalls.push({ signature: String(req.headers[SIGNATURE_HEADER]), body, status: hookStatus });
      res.writeHead(hookStatus).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await stack?.close();
  hook?.closeAllConnections();
  await new Promise((r) => hook?.close(r));
  await env?.teardown();
});

describe('verification workflow: timers', () => {
  it('expires on its own timer and closes at once while its webhook receiver is still down', async () => {
    const to = testNumber();
    hookStatus = 503;
    const handle = await startFlow(
      stack,
      stack.input(to, {
        policy: { ttlSeconds: 2 },
        webhook: { url: hookUrl, secretRef: 'TEST_WEBHOOK_SECRET' },
      }),
    );
    const state = await waitSettled(handle);
    const verifies = stack.requests(VERIFY);
    const result = await handle.result();
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(state.expiresAt!));
    expect(result.status).toBe('EXPIRED');
    // Closed at its outcome: the receiver has not taken the webhook yet.
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(hookCalls.filter((c) => c.status === 204)).toHaveLength(0);
    const webhook = result.timeline.at(-1) as Extract<TimelineEntry, { kind: 'WEBHOOK' }>;
    expect(webhook).toMatchObject({ kind: 'WEBHOOK', outcome: 'SCHEDULED' });
    expect(webhook.deliveryWorkflowId).toBe(`${handle.workflowId}/webhook/${handle.firstExecutionRunId}`);
    // A late code reaches nothing: the flow is closed, Infobip is not asked.
    const err = await handle
      .executeUpdate(verifyUpdate, { args: [stack.inbox(to)[0]!.pin] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
    expect(stack.requests(VERIFY)).toBe(verifies);

    // The webhook workflow keeps retrying on its own and delivers once the receiver is back.
    const delivery = env.client.workflow.getHandle<typeof webhookWorkflow>(webhook.deliveryWorkflowId!);
    expect((await delivery.describe()).status.name).toBe('RUNNING');
    await eventually(
      () => hookCalls.length,
      (n) => n > 0,
    );
    hookStatus = 204;
    expect(await delivery.result()).toEqual({ httpStatus: 204 });
    const delivered = hookCalls.at(-1)!;
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(delivered.signature) ?? [];
    expect(v1).toBe(createHmac('sha256', 'test-secret').update(`${t}.${delivered.body}`).digest('hex'));
    expect(JSON.parse(delivered.body)).toMatchObject({
      verificationId: handle.workflowId,
      status: 'EXPIRED',
      verified: false,
    });
    expect(delivered.body).not.toContain(to.slice(1));
    await recordHistory(handle, 'expired-with-webhook-workflow');
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
    // Without a webhook nothing more happens at the end: no webhook workflow, no patch marker.
    expect(result.timeline.some((e) => e.kind === 'WEBHOOK')).toBe(false);
    const { events } = await handle.fetchHistory();
    expect(events?.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toEqual([]);
    expect(events?.map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean)).not.toContain(
      'core_patch',
    );
    await recordHistory(handle, 'cancelled');
  });
});
