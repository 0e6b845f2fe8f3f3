/**
 * Lockouts that last, on the real parts (shared dev server, emulator, real activities): a
 * LOCKED verification stays open for its lockout and refuses starts — derived ID (its `start`
 * validator) and caller-chosen ID (a visibility look-up) alike — over the library and HTTP,
 * with nothing sent; the lockout grows with each earlier one; it lifts by itself.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../api/server';
import { DestinationLockedError, VerificationFinishedError } from '../client/errors';
import { OtpClient } from '../client/otp-client';
import { startStack, testApplication, testNumber, type Stack } from './harness/stack';
import { connectTestEnv } from './harness/temporal';
import { waitFor } from './chaos/support';

const KEY = 'lockout-api-key-0123456789';
const HASH_KEY = Buffer.alloc(32, 7);
const app = testApplication('lockout-app');
app.policy = { ...app.policy, lookup: 'OFF', maxAttempts: 2 };
app.guard = { lockout: { seconds: 3, growthFactor: 2, maxSeconds: 20, windowSeconds: 600 } };
let env: TestWorkflowEnvironment;
let stack: Stack;
let otp: OtpClient;
let api: FastifyInstance;
let base: string;
const SEND = 'POST /2fa/2/pin';

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startStack(env, { applications: [app] });
  otp = new OtpClient({
    client: env.client,
    applications: [app],
    destinationHashKey: HASH_KEY,
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

const wrong = (pin: string, n: number) => String((Number(pin) + n) % 1_000_000).padStart(6, '0');

/** Starts a verification of `to` and uses up its attempts; resolves its ID once it is locked. */
async function lock(to: string, id?: string): Promise<string> {
  const started = await otp.start({ destination: to, ...(id ? { id } : {}) });
  expect(started.created).toBe(true);
  const pin = stack.inbox(to)[0]!.pin;
  await otp.check(started.id, wrong(pin, 1));
  expect(await otp.check(started.id, wrong(pin, 2))).toMatchObject({ status: 'LOCKED' });
  return started.id;
}

/** The lockout the flow holds (from its `status` query), once it holds one. */
async function lockedUntil(id: string): Promise<number> {
  const until = await waitFor(async () => (await otp.status(id)).lockedUntil, `lockout of ${id}`);
  return Date.parse(until);
}

describe('a LOCKED verification keeps its destination locked', () => {
  it('refuses starts while it lasts (library and HTTP), sends nothing, then lets a new one start', async () => {
    const to = testNumber();
    const id = await lock(to);
    const until = await lockedUntil(id);
    const sends = stack.requests(SEND);

    const refused = await otp.start({ destination: to }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DestinationLockedError);
    expect(refused).toMatchObject({
      code: 'OTP_DESTINATION_LOCKED',
      lockedUntil: new Date(until).toISOString(),
    });
    expect((refused as DestinationLockedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);

    const res = await fetch(`${base}/v1/verifications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(body).toMatchObject({
      type: 'https://otpflow.dev/problems/destination-locked',
      lockedUntil: new Date(until).toISOString(),
    });

    // A check on the locked flow is answered as today: already finished, LOCKED.
    await expect(otp.check(id, '123456')).rejects.toBeInstanceOf(VerificationFinishedError);
    const view = await otp.status(id);
    expect(view).toMatchObject({ status: 'LOCKED' });
    expect(view.timeline?.at(-1)).toMatchObject({ kind: 'LOCKOUT', earlierLockouts: 0 });
    expect(stack.requests(SEND)).toBe(sends);
    expect(stack.inbox(to)).toHaveLength(1);

    // Once the lockout is over the flow closes and a start starts afresh.
    await new Promise((r) => setTimeout(r, Math.max(until - Date.now(), 0) + 200));
    const again = await waitFor(
      () =>
        otp.start({ destination: to }).catch((e: unknown) => {
          if (e instanceof DestinationLockedError) return undefined;
          throw e;
        }),
      'a start after the lockout',
    );
    expect(again).toMatchObject({ id, created: true, status: 'PENDING' });
    expect(stack.inbox(to)).toHaveLength(2);
  });

  it('grows with each earlier lockout of the destination: 3 s, then 6 s', async () => {
    const to = testNumber();
    const first = await lock(to);
    const firstUntil = await lockedUntil(first);
    const firstEntry = (await otp.status(first)).timeline!.at(-1)!;
    await waitFor(
      async () =>
        (await otp.status(first)).status === 'LOCKED' && Date.now() > firstUntil ? true : undefined,
      'the first lockout to pass',
    );
    const second = await waitFor(
      () =>
        lock(to).catch((e: unknown) => {
          if (e instanceof DestinationLockedError) return undefined;
          throw e;
        }),
      'a second verification',
    );
    await lockedUntil(second);
    const entry = (await otp.status(second)).timeline!.at(-1)!;
    expect(entry).toMatchObject({ kind: 'LOCKOUT', earlierLockouts: 1 });
    const seconds = (e: typeof entry) =>
      e.kind === 'LOCKOUT' ? (Date.parse(e.until) - Date.parse(e.at)) / 1000 : 0;
    expect(seconds(firstEntry)).toBe(3);
    expect(seconds(entry)).toBe(6);
  });

  it('refuses a start with a caller-chosen ID for a locked destination (visibility), sending nothing', async () => {
    const to = testNumber();
    const id = await lock(to);
    const until = await lockedUntil(id);
    // The look-up reads the visibility store: wait until it shows the lock.
    await waitFor(async () => {
      const { count } = await env.client.workflow.count(
        `WorkflowId="${id}" AND OtpStatus="LOCKED" AND ExecutionStatus="Running"`,
      );
      return count > 0 ? true : undefined;
    }, 'the lock in visibility');
    const sends = stack.requests(SEND);
    const refused = await otp.start({ destination: to, id: `mine-${Date.now()}` }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DestinationLockedError);
    expect(refused).toMatchObject({ id, lockedUntil: new Date(until).toISOString() });
    expect(stack.requests(SEND)).toBe(sends);
  });
});
