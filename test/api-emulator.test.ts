/**
 * The HTTP API end to end with the real parts: the Infobip emulator, the real activities on a
 * worker, the shared dev server. The PIN comes from the emulator's phone inbox, as a person
 * would read it from their phone.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../api/server';
import { OtpClient } from '../client/otp-client';
import { startStack, testApplication, testNumber, type Stack } from './harness/stack';
import { connectTestEnv } from './harness/temporal';

const KEY = 'emulator-api-key-0123456789';
let env: TestWorkflowEnvironment;
let stack: Stack;
let api: FastifyInstance;
let base: string;
const login = testApplication('e2e-login', {});
const strict = testApplication('e2e-strict');
strict.policy = { ...strict.policy, maxAttempts: 2, resendCooldownSeconds: 30 };
const brief = testApplication('e2e-brief');
brief.policy = { ...brief.policy, ttlSeconds: 2 };
const careful = testApplication('e2e-careful');
careful.policy = { ...careful.policy, lookup: 'REQUIRED' };

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startStack(env, { applications: [login, strict, brief, careful] });
  const otp = new OtpClient({
    client: env.client,
    applications: stack.applications,
    destinationHashKey: Buffer.alloc(32, 1),
    taskQueue: stack.worker.taskQueue,
  });
  api = createApiServer({ otp, apiKeys: [KEY] });
  base = await api.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await api?.close();
  await stack?.close();
  await env?.teardown();
});

/** The fields these tests read from answers and problems. */
interface Answer {
  id: string;
  status: string;
  reason?: string;
  attemptsRemaining?: number;
  [more: string]: unknown;
}

async function post(path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer };
}

const problemType = (name: string) => `https://otpflow.dev/problems/${name}`;

async function get(path: string) {
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${KEY}` } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer };
}

/** The PIN the emulator delivered to `to` most recently. */
function pinFor(to: string): string {
  const [latest] = stack.inbox(to);
  if (!latest) throw new Error(`no message for ${to}`);
  return latest.pin;
}

describe('HTTP API with the emulator and real activities', () => {
  it('verifies with the PIN from the phone inbox after a wrong code; one SMS for two starts', async () => {
    const to = testNumber();
    const started = await post('/v1/verifications', { to, application: login.name });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ status: 'PENDING', channel: 'SMS' });
    const again = await post('/v1/verifications', { to, application: login.name });
    expect(again).toMatchObject({ status: 200, body: { id: started.body.id, created: false } });
    expect(stack.inbox(to)).toHaveLength(1);

    const pin = pinFor(to);
    const wrong = pin === '000000' ? '111111' : '000000';
    const miss = await post(`/v1/verifications/${started.body.id}/check`, { code: wrong });
    expect(miss.body).toEqual({ status: 'PENDING', verified: false, attemptsRemaining: 2 });
    const hit = await post(`/v1/verifications/${started.body.id}/check`, { code: pin });
    expect(hit).toMatchObject({ status: 200, body: { status: 'VERIFIED', verified: true } });
  });

  it('locks after the last wrong code, then answers 409 LOCKED even for the right one', async () => {
    const to = testNumber();
    const { body } = await post('/v1/verifications', { to, application: strict.name });
    const pin = pinFor(to);
    const wrong = pin === '000000' ? '111111' : '000000';
    expect((await post(`/v1/verifications/${body.id}/check`, { code: wrong })).body.attemptsRemaining).toBe(
      1,
    );
    const locked = await post(`/v1/verifications/${body.id}/check`, { code: wrong });
    expect(locked.body).toEqual({ status: 'LOCKED', verified: false, attemptsRemaining: 0 });
    // The flow stays open for its lockout (README: "Fraud and abuse"); checks already answer 409.
    const after = await post(`/v1/verifications/${body.id}/check`, { code: pin });
    expect(after).toMatchObject({ status: 409, body: { verificationStatus: 'LOCKED' } });
  });

  it('expires after the TTL: the right PIN then gets 409 EXPIRED, without asking Infobip', async () => {
    const to = testNumber();
    const { body } = await post('/v1/verifications', { to, application: brief.name });
    // The 2 s TTL may run out before start answers on a busy machine.
    expect(['PENDING', 'EXPIRED']).toContain(body.status);
    const pin = pinFor(to);
    await env.client.workflow.getHandle(body.id).result();
    const verifies = stack.requests('POST /2fa/2/pin/{pinId}/verify');
    const late = await post(`/v1/verifications/${body.id}/check`, { code: pin });
    expect(late).toMatchObject({
      status: 409,
      body: { type: 'https://otpflow.dev/problems/already-finished', verificationStatus: 'EXPIRED' },
    });
    expect(stack.requests('POST /2fa/2/pin/{pinId}/verify')).toBe(verifies);
  });

  it('resends through Infobip after the cooldown and answers 429 with Retry-After within it', async () => {
    const to = testNumber();
    const { body } = await post('/v1/verifications', { to, application: login.name });
    await new Promise((r) => setTimeout(r, 1100));
    const resent = await post(`/v1/verifications/${body.id}/resend`);
    expect(resent).toMatchObject({
      status: 200,
      body: { id: body.id, status: 'PENDING', resendsRemaining: 1 },
    });
    expect(stack.inbox(to)).toHaveLength(2);

    const other = await post('/v1/verifications', { to: testNumber(), application: strict.name });
    const limited = await post(`/v1/verifications/${other.body.id}/resend`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(25);
  });

  it('answers 422 undeliverable with a reason code, not 201, when a required lookup says the number does not exist', async () => {
    const to = testNumber('0003');
    const started = await post('/v1/verifications', { to, application: careful.name });
    expect(started.status).toBe(422);
    expect(started.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(started.body).toMatchObject({ type: problemType('undeliverable'), reasonCode: 'NUMBER_UNKNOWN' });
    expect(JSON.stringify(started.body)).not.toMatch(/EC_|lookup:/);
    expect(stack.inbox(to)).toHaveLength(0);
    const view = await get(`/v1/verifications/${started.body.id}`);
    expect(view.body).toMatchObject({ status: 'UNDELIVERABLE', reasonCode: 'NUMBER_UNKNOWN' });
  });
});

/** What no caller may see: Infobip's paths, status texts, pinIds. */
function assertNoInfobipInternals(body: unknown, pinIds: string[] = []): void {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/\/2fa\/|\/number\/|answered \d{3}|GENERAL_ERROR|TOO_MANY_REQUESTS|Service Unavailable/i);
  for (const pinId of pinIds) expect(text).not.toContain(pinId);
}

describe('starts that send no PIN, and Infobip errors, as callers see them (#19)', () => {
  const withFault = async <T>(rule: Parameters<Stack['emulator']['faults']['add']>[0], body: () => Promise<T>) => {
    const added = stack.emulator.faults.add(rule);
    try {
      return await body();
    } finally {
      stack.emulator.faults.remove(added.id);
    }
  };

  it("answers 429 rate-limited with Retry-After when Infobip's send limit is reached", async () => {
    const to = testNumber();
    const started = await withFault(
      { match: { method: 'POST', path: '/2fa/2/pin' }, action: { status: 429, retryAfter: 3_600 } },
      () => post('/v1/verifications', { to, application: login.name }),
    );
    expect(started.status).toBe(429);
    expect(started.body).toMatchObject({ type: problemType('rate-limited'), reasonCode: 'SEND_LIMIT' });
    expect(Number(started.headers.get('retry-after'))).toBeGreaterThan(3_000);
    assertNoInfobipInternals(started.body);
    const view = await get(`/v1/verifications/${started.body.id}`);
    expect(view.body).toMatchObject({ status: 'RATE_LIMITED', reasonCode: 'SEND_LIMIT' });
    assertNoInfobipInternals(view.body);
    expect(stack.inbox(to)).toHaveLength(0);
  });

  it('answers a check during a verify outage with a plain sentence, never the pinId or Infobip text', async () => {
    const to = testNumber();
    const started = await post('/v1/verifications', { to, application: login.name });
    const pinIds = stack.emulator.inbox.messages(to).map((m) => m.pinId);
    expect(pinIds).toHaveLength(1);
    const checked = await withFault(
      { match: { path: '/2fa/2/pin/{pinId}/verify' }, action: { status: 503 } },
      () => post(`/v1/verifications/${started.body.id}/check`, { code: '000000' }),
    );
    expect(checked.status).toBe(503);
    expect(checked.body).toMatchObject({ type: problemType('check-unavailable') });
    assertNoInfobipInternals(checked.body, pinIds);
    expect(await post(`/v1/verifications/${started.body.id}/check`, { code: pinFor(to) })).toMatchObject({
      status: 200,
      body: { status: 'VERIFIED' },
    });
  }, 60_000);
});
