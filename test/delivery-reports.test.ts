/**
 * Delivery reports end to end, on the shared dev server: the emulator pushes Infobip's report
 * bodies to the HTTP API's ingress (`POST /v1/delivery-reports`, HTTP Basic), which signals the
 * verification started through `OtpClient` (derived ID) or found by its `OtpDestinationHash`
 * (caller-chosen ID); the real worker runs the flow against the emulator.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicCredentials, DELIVERY_REPORTS_PATH, reportDestination } from '../api/delivery-reports';
import { ApiMetrics } from '../api/metrics';
import { createApiServer } from '../api/server';
import { OtpClient } from '../client/otp-client';
import type { ApplicationDeclaration } from '../config/types';
import { statusQuery, verifyUpdate } from '../domain/messages';
import { REASONS } from '../domain/reasons';
import type { TimelineEntry, VerificationPolicy } from '../domain/types';
import type { verificationWorkflow } from '../workflows';
import { eventually, historyEventTypes, recordHistory } from './harness/flows';
import { startStack, testApplication, testNumber, type Stack } from './harness/stack';
import { connectTestEnv } from './harness/temporal';

const HASH_KEY = Buffer.from('delivery-test-hash-key-0123456789abcdef');
const BASIC = { username: 'infobip', password: 'delivery-report-secret-0123' };
const API_KEY = 'delivery-test-api-key-0123456789';

let env: TestWorkflowEnvironment;
let stack: Stack;
let otp: OtpClient;
let api: FastifyInstance;
let apiUrl: string;
const metrics = new ApiMetrics();

/** An application of this file: short timers, lookup off (so `…0006` gets its SMS). */
function app(name: string, policy: Partial<VerificationPolicy>): ApplicationDeclaration {
  const a = testApplication(`dlv-${name}-${randomUUID().slice(0, 6)}`);
  a.policy = { ...a.policy, lookup: 'OFF', ttlSeconds: 60, maxAttempts: 3, ...policy };
  return a;
}

const APPS = {
  /** Voice after 30 s: a report, not the timer, must move it. */
  voiceLater: app('voice', { fallback: [{ channel: 'VOICE', afterSeconds: 30 }] }),
  /** Voice after 3 s: the timer would fire within the test. */
  voiceSoon: app('soon', { fallback: [{ channel: 'VOICE', afterSeconds: 3 }], ttlSeconds: 20 }),
  /** E-mail after 1 s: a new PIN is unavoidable there. */
  email: app('email', { fallback: [{ channel: 'EMAIL', afterSeconds: 1 }], ttlSeconds: 30 }),
};

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startStack(env, {
    applications: Object.values(APPS),
    emulator: { reports: { delayMs: 50, lateDelayMs: 2500, retryTimeScale: 0.001 } },
  });
  otp = new OtpClient({
    client: env.client,
    applications: stack.applications,
    destinationHashKey: HASH_KEY,
    taskQueue: stack.worker.taskQueue,
  });
  api = createApiServer({
    otp,
    apiKeys: [API_KEY],
    metrics,
    deliveryReports: {
      client: env.client,
      applications: stack.applications.map((a) => a.name),
      destinationHashKey: HASH_KEY,
      credentials: [BASIC],
    },
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  apiUrl = `http://127.0.0.1:${(api.server.address() as { port: number }).port}`;
  stack.emulator.reports.subscribe({ url: `${apiUrl}${DELIVERY_REPORTS_PATH}`, basic: BASIC });
});
afterAll(async () => {
  await api?.close();
  await stack?.close();
  await env?.teardown();
});

const handleOf = (id: string) => env.client.workflow.getHandle<typeof verificationWorkflow>(id);
const kinds = (t: TimelineEntry[]) => t.map((e) => e.kind);
const deliveries = (t: TimelineEntry[]) =>
  t.filter((e): e is Extract<TimelineEntry, { kind: 'DELIVERY' }> => e.kind === 'DELIVERY');

async function push(body: unknown, auth: string | null = basicHeader(BASIC)) {
  const res = await fetch(`${apiUrl}${DELIVERY_REPORTS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

function basicHeader(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

function report(messageId: string, to: string, groupName = 'DELIVERED', groupId = 3) {
  return {
    results: [
      {
        messageId,
        to: to.slice(1),
        sentAt: '2026-11-26T10:00:00.000+0000',
        doneAt: '2026-11-26T10:00:01.000+0000',
        status: { groupId, groupName, id: 5, name: `${groupName}_TEST`, description: '' },
        error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: '', permanent: false },
      },
    ],
  };
}

describe('delivery reports', () => {
  it('an undeliverable first SMS reaches the voice fallback at once; the SMS code verifies', async () => {
    const to = testNumber('0006'); // SMS: undeliverable (no SMS); voice: delivered
    const started = await otp.start({ application: APPS.voiceLater.name, destination: to });
    const handle = handleOf(started.id);
    const inbox = await eventually(
      () => stack.emulator.inbox.messages(to),
      (m) => m.length === 2,
    );
    const [voice, sms] = inbox as [(typeof inbox)[0], (typeof inbox)[0]];
    expect([sms.channel, voice.channel]).toEqual(['SMS', 'VOICE']);
    expect(voice.pin).toBe(sms.pin); // the same PIN: the code the person has keeps working
    const smsPush = stack.emulator.reports.pushes({ messageId: sms.externalMessageId })[0]!;
    expect(smsPush.status).toBe('UNDELIVERABLE');
    const reportAt = Date.parse(smsPush.history[0]!.at);
    const fallbackMs = Date.parse(voice.sentAt) - reportAt;
    console.log(
      `[delivery] undeliverable SMS report → voice fallback message: ${fallbackMs} ms (timer: 30 s)`,
    );
    expect(fallbackMs).toBeLessThan(15_000); // generous: the timer would have taken 30 s

    const state = await eventually(
      () => handle.query(statusQuery),
      (s) => s.delivery?.channel === 'VOICE' && s.delivery.status === 'DELIVERED',
    );
    expect(state).toMatchObject({ status: 'PENDING', channel: 'VOICE' });
    expect(await handle.executeUpdate(verifyUpdate, { args: [sms.pin] })).toMatchObject({ verified: true });
    const result = await handle.result();
    expect(kinds(result.timeline)).toEqual([
      'SEND',
      'DELIVERY',
      'RESEND',
      'FALLBACK',
      'DELIVERY',
      'CHECK',
      'STATUS',
    ]);
    const [first, second] = deliveries(result.timeline);
    expect(first).toMatchObject({
      channel: 'SMS',
      status: 'UNDELIVERABLE',
      reason: 'EC_TELESERVICE_NOT_PROVISIONED',
    });
    expect(first!.messageId).toBe(sms.externalMessageId);
    expect(second).toMatchObject({
      channel: 'VOICE',
      status: 'DELIVERED',
      messageId: voice.externalMessageId,
    });
    expect(result.delivery).toMatchObject({ channel: 'VOICE', status: 'DELIVERED' });
    await recordHistory(handle, 'delivery-undeliverable-fallback');
  });

  it('a delivered SMS sends nothing else, past its fallback timer', async () => {
    const to = testNumber();
    const started = await otp.start({ application: APPS.voiceSoon.name, destination: to });
    const handle = handleOf(started.id);
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.delivery?.status === 'DELIVERED',
    );
    await new Promise((r) => setTimeout(r, 4_000)); // the voice step was due after 3 s
    expect(stack.emulator.inbox.messages(to)).toHaveLength(1);
    const state = await handle.query(statusQuery);
    expect(state).toMatchObject({
      status: 'PENDING',
      channel: 'SMS',
      delivery: { channel: 'SMS', status: 'DELIVERED' },
    });
    const pin = stack.emulator.inbox.messages(to)[0]!.pin;
    expect(await handle.executeUpdate(verifyUpdate, { args: [pin] })).toMatchObject({ verified: true });
    expect(kinds((await handle.result()).timeline)).toEqual(['SEND', 'DELIVERY', 'CHECK', 'STATUS']);
    await recordHistory(handle, 'delivery-delivered-no-fallback');
  });

  it('ends UNDELIVERABLE when the last fallback step cannot be delivered either', async () => {
    const to = testNumber('0021'); // absent subscriber: SMS and voice undeliverable
    const started = await otp.start({ application: APPS.voiceLater.name, destination: to });
    const handle = handleOf(started.id);
    const result = await handle.result();
    expect(result.status).toBe('UNDELIVERABLE');
    expect(result).toMatchObject({
      reasonCode: 'MESSAGES_UNDELIVERED',
      reason: REASONS.MESSAGES_UNDELIVERED,
    });
    expect(kinds(result.timeline)).toEqual(['SEND', 'DELIVERY', 'RESEND', 'FALLBACK', 'DELIVERY', 'STATUS']);
    // Infobip's own words are in the DELIVERY entries, not in the reason callers see.
    expect(deliveries(result.timeline).map((d) => [d.channel, d.reason])).toEqual([
      ['SMS', 'EC_ABSENT_SUBSCRIBER'],
      ['VOICE', 'EC_ABSENT_SUBSCRIBER'],
    ]);
    expect(stack.emulator.inbox.messages(to)).toHaveLength(2);
    await recordHistory(handle, 'delivery-undeliverable-end');
  });

  it('duplicate and out-of-order reports change nothing', async () => {
    for (const suffix of ['0026', '0027']) {
      const to = testNumber(suffix);
      const started = await otp.start({ application: APPS.voiceLater.name, destination: to });
      const handle = handleOf(started.id);
      const messageId = stack.emulator.inbox.messages(to)[0]!.externalMessageId!;
      await eventually(
        () => stack.emulator.reports.pushes({ messageId }),
        (p) => p.length === 2 && p.every((x) => x.state === 'DELIVERED'),
      );
      const state = await handle.query(statusQuery);
      expect(state.status).toBe('PENDING');
      expect(state.delivery).toMatchObject({ channel: 'SMS', status: 'DELIVERED' });
      expect(deliveries(state.timeline)).toHaveLength(1);
      expect(stack.emulator.inbox.messages(to)).toHaveLength(1);
      await otp.cancel(started.id);
    }
  });

  it('a late DELIVERED after a fallback changes nothing', async () => {
    const to = testNumber('0028'); // delivered after the late delay (2.5 s); the e-mail step is due after 1 s
    const a = APPS.email;
    const email = `late-${randomUUID().slice(0, 6)}@example.com`;
    const started = await otp.start({ application: a.name, destination: to, email });
    const handle = handleOf(started.id);
    await eventually(
      () => stack.emulator.inbox.messages(email),
      (m) => m.length === 1,
    );
    const before = await handle.query(statusQuery);
    expect(before.channel).toBe('EMAIL');
    const state = await eventually(
      () => handle.query(statusQuery),
      (s) => deliveries(s.timeline).length === 1,
    );
    expect(deliveries(state.timeline)[0]).toMatchObject({ channel: 'SMS', status: 'DELIVERED' });
    expect(state).toMatchObject({
      status: 'PENDING',
      channel: 'EMAIL',
      delivery: { channel: 'EMAIL', status: 'UNTRACKED' },
    });
    expect(stack.emulator.inbox.messages(to)).toHaveLength(1);
    await otp.cancel(started.id);
  });

  it('after an e-mail fallback with a new PIN, the SMS code still verifies and a wrong code costs one attempt', async () => {
    const to = testNumber('0025'); // delivered without a report: the timer decides, as without reports
    const email = `fb-${randomUUID().slice(0, 6)}@example.com`;
    const started = await otp.start({ application: APPS.email.name, destination: to, email });
    const handle = handleOf(started.id);
    const [mail] = await eventually(
      () => stack.emulator.inbox.messages(email),
      (m) => m.length === 1,
    );
    const [sms] = stack.emulator.inbox.messages(to);
    expect(mail!.pin).not.toBe(sms!.pin);
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.channel === 'EMAIL',
    );
    const wrong = sms!.pin === '000000' ? '111111' : '000000';
    expect(await handle.executeUpdate(verifyUpdate, { args: [wrong] })).toMatchObject({
      verified: false,
      attemptsRemaining: 2,
    });
    expect(await handle.executeUpdate(verifyUpdate, { args: [sms!.pin] })).toMatchObject({ verified: true });
    const result = await handle.result();
    expect(
      result.timeline.filter((e) => e.kind === 'SEND').map((e) => (e as { channel: string }).channel),
    ).toEqual(['SMS', 'EMAIL']);
    await recordHistory(handle, 'fallback-email-keeps-sms-code');
  });

  it('finds a flow with a caller-chosen ID through its destination hash', async () => {
    const to = testNumber('0021');
    const id = `caller-${randomUUID()}`;
    await otp.start({ application: APPS.voiceLater.name, destination: to, id });
    const result = await handleOf(id).result();
    expect(result.status).toBe('UNDELIVERABLE');
    expect(deliveries(result.timeline).map((d) => d.status)).toEqual(['UNDELIVERABLE', 'UNDELIVERABLE']);
  });

  it('unknown, unauthenticated and malformed reports change nothing', async () => {
    const to = testNumber('0025'); // delivered, never reported
    const started = await otp.start({ application: APPS.voiceLater.name, destination: to });
    const handle = handleOf(started.id);
    const eventsBefore = (await historyEventTypes(handle)).length;

    // Unauthenticated or with a wrong password: 401, nothing signalled.
    const anon = await push(report('m-1', to), null);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(
      (await push(report('m-1', to), basicHeader({ ...BASIC, password: 'wrong-password-0123456' }))).status,
    ).toBe(401);
    // Malformed: 400 naming the place, nothing signalled.
    const bad = await push({ results: [{ to: to.slice(1) }] });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/results\[0\]\.messageId/);
    expect((await push('{not json')).status).toBe(400);
    expect((await historyEventTypes(handle)).length).toBe(eventsBefore);

    // A messageId the flow never sent: signalled, ignored.
    const unknown = await push(report(`unknown-${randomUUID()}`, to, 'UNDELIVERABLE', 2));
    expect(unknown).toMatchObject({ status: 200, body: { received: 1, signalled: 1, unmatched: 0 } });
    // No running flow for the number: 200, counted as unmatched.
    const before = metrics.counter('otpflow_delivery_reports_received', '').get({ outcome: 'unmatched' });
    const nobody = await push(report('m-2', testNumber()));
    expect(nobody).toMatchObject({ status: 200, body: { signalled: 0, unmatched: 1 } });
    expect(metrics.counter('otpflow_delivery_reports_received', '').get({ outcome: 'unmatched' })).toBe(
      before + 1,
    );
    expect(await (await fetch(`${apiUrl}/metrics`)).text()).toMatch(
      /otpflow_delivery_reports_received\{outcome="unmatched"\} \d+/,
    );

    const state = await handle.query(statusQuery);
    expect(state).toMatchObject({ status: 'PENDING', channel: 'SMS', delivery: { status: 'PENDING' } });
    expect(deliveries(state.timeline)).toHaveLength(0);
    expect(stack.emulator.inbox.messages(to)).toHaveLength(1);
    await otp.cancel(started.id);
  });
});

describe('delivery-report ingress units', () => {
  it('reads Basic credentials and report destinations', () => {
    expect(basicCredentials(basicHeader(BASIC))).toBe(`${BASIC.username}:${BASIC.password}`);
    expect(basicCredentials('Bearer abc')).toBeUndefined();
    expect(basicCredentials(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeUndefined();
    expect(reportDestination('41793026727')).toBe('+41793026727');
    expect(reportDestination('+41793026727')).toBe('+41793026727');
    expect(reportDestination('someone@example.com')).toBeUndefined();
  });
});
