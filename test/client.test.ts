/**
 * OtpClient against a real worker on the shared dev server (stub activities that accept
 * STUB_CODE): start and attach, wrong then right code, locked, expired, cancel, resend
 * cooldown, malformed codes, unknown and foreign IDs, invalid input, list; a start without a
 * worker and without Temporal.
 */
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckUnavailableError,
  InvalidInputError,
  RateLimitedError,
  TemporalUnreachableError,
  UnknownVerificationError,
  VerificationFinishedError,
} from '../client/errors';
import { OtpClient } from '../client/otp-client';
import {
  randomPhone,
  STUB_CODE,
  STUB_UNAVAILABLE_CODE,
  stubActivities,
  testApplication,
} from './kits/client';
import { freePort } from './harness/ports';
import { connectTestEnv, startWorker, uniqueTaskQueue, type RunningWorker } from './harness/temporal';

let env: TestWorkflowEnvironment;
let worker: RunningWorker;
let otp: OtpClient;
const stub = stubActivities();
const HASH_KEY = Buffer.from('k'.repeat(32));
const applications = [
  testApplication('login'),
  testApplication('strict', { maxAttempts: 2 }),
  testApplication('short', { ttlSeconds: 1 }),
  testApplication('swiss', { allowedCountries: ['CH'] }),
  testApplication('other'),
];

beforeAll(async () => {
  env = await connectTestEnv();
  worker = await startWorker(env, { activities: stub.activities });
  otp = new OtpClient({
    client: env.client,
    applications,
    destinationHashKey: HASH_KEY,
    taskQueue: worker.taskQueue,
  });
});
afterAll(async () => {
  await worker?.shutdown();
  await env?.teardown();
});

async function finished(id: string) {
  await env.client.workflow.getHandle(id).result();
}

describe('OtpClient', () => {
  it('starts once per pending destination: a second start attaches and sends nothing', async () => {
    const to = randomPhone();
    const first = await otp.start({ application: 'login', destination: to });
    expect(first).toMatchObject({ status: 'PENDING', channel: 'SMS', created: true });
    expect(first.id).toMatch(/^otp-login-[0-9a-f]{32}$/);
    expect(first.destination).toBe(`${to.slice(0, 3)}•••••${to.slice(-4)}`);
    expect(Date.parse(first.expiresAt ?? '')).toBeGreaterThan(Date.now() + 290_000);
    const second = await otp.start({ application: 'login', destination: to });
    expect(second).toMatchObject({
      id: first.id,
      status: 'PENDING',
      created: false,
      expiresAt: first.expiresAt,
    });
    expect(stub.sends.filter((s) => s.to === to)).toHaveLength(1);
    const desc = await env.client.workflow.getHandle(first.id).describe();
    expect(JSON.stringify(desc.searchAttributes)).not.toContain(to.slice(1));
    expect(await desc.staticSummary()).toBe(`login · ${first.destination} · SMS`);
  });

  it('starts a new verification when the last one for the destination has just ended', async () => {
    const to = randomPhone();
    const first = await otp.start({ application: 'login', destination: to });
    expect(await otp.check(first.id, STUB_CODE)).toMatchObject({ verified: true });
    const again = await otp.start({ application: 'login', destination: to });
    expect(again).toMatchObject({ id: first.id, status: 'PENDING', created: true });
    expect(again.expiresAt).not.toBe(first.expiresAt);
    expect(stub.sends.filter((s) => s.to === to)).toHaveLength(2);
  });

  it('answers from the search attributes when no worker runs, then attaches once one does', async () => {
    const taskQueue = uniqueTaskQueue('idle');
    const idle = new OtpClient({
      client: env.client,
      applications,
      destinationHashKey: HASH_KEY,
      taskQueue,
      startWaitMs: 1500,
    });
    const to = randomPhone();
    const first = await idle.start({ application: 'login', destination: to });
    expect(first).toEqual({
      id: expect.stringMatching(/^otp-login-/),
      status: 'LOOKUP',
      channel: 'SMS',
      destination: `${to.slice(0, 3)}•••••${to.slice(-4)}`,
      language: 'en',
      created: true,
    });
    expect(await idle.start({ application: 'login', destination: to })).toMatchObject({
      id: first.id,
      status: 'LOOKUP',
      created: false,
    });
    const late = await startWorker(env, { taskQueue, activities: stub.activities });
    try {
      const attached = await idle.start({ application: 'login', destination: to });
      expect(attached).toMatchObject({ id: first.id, status: 'PENDING', created: false });
      expect(Date.parse(attached.expiresAt ?? '')).toBeGreaterThan(Date.now());
      expect(stub.sends.filter((s) => s.to === to)).toHaveLength(1);
      await idle.cancel(first.id);
    } finally {
      await late.shutdown();
    }
  });

  it('throws TemporalUnreachableError from start when Temporal does not answer', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    try {
      const down = new OtpClient({
        client: new Client({ connection }),
        applications,
        destinationHashKey: HASH_KEY,
        taskQueue: worker.taskQueue,
        startWaitMs: 1000,
        rpcTimeoutMs: 1000,
      });
      const err = await down
        .start({ application: 'login', destination: randomPhone() })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TemporalUnreachableError);
      expect(err).toMatchObject({ code: 'OTP_TEMPORAL_UNREACHABLE' });
    } finally {
      await connection.close();
    }
  });

  it('refuses a caller ID that belongs to another kind of workflow', async () => {
    const id = `foreign-${Date.now()}`;
    // A workflow of another type under that ID, on a queue no worker polls: it stays running.
    const foreign = await env.client.workflow.start('webhookWorkflow', {
      workflowId: id,
      taskQueue: uniqueTaskQueue('nobody'),
      args: [{ application: 'login', url: 'http://127.0.0.1:1/', body: {} }],
    });
    try {
      const short = new OtpClient({
        client: env.client,
        applications,
        destinationHashKey: HASH_KEY,
        taskQueue: worker.taskQueue,
        startWaitMs: 1000,
      });
      const err = await short
        .start({ application: 'login', destination: randomPhone(), id })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err).toMatchObject({ field: 'id', reason: 'is already used by another workflow' });
    } finally {
      await foreign.terminate();
    }
  });

  it('answers a wrong code with attempts left, then VERIFIED; a later check throws VERIFIED-finished', async () => {
    const { id } = await otp.start({ application: 'login', destination: randomPhone() });
    expect(await otp.check(id, '000000')).toEqual({
      status: 'PENDING',
      verified: false,
      attemptsRemaining: 2,
    });
    expect(await otp.check(id, STUB_CODE)).toEqual({
      status: 'VERIFIED',
      verified: true,
      attemptsRemaining: 2,
    });
    await finished(id);
    const err = await otp.check(id, STUB_CODE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationFinishedError);
    expect(err).toMatchObject({ code: 'OTP_ALREADY_FINISHED', status: 'VERIFIED' });
    expect(await otp.status(id)).toMatchObject({
      status: 'VERIFIED',
      application: 'login',
      attemptsRemaining: 2,
    });
  });

  it('reports a check Infobip could not answer as unavailable, without using an attempt', async () => {
    const { id } = await otp.start({ application: 'login', destination: randomPhone() });
    const err = await otp.check(id, STUB_UNAVAILABLE_CODE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckUnavailableError);
    expect(err).toMatchObject({ code: 'OTP_CHECK_UNAVAILABLE' });
    expect(await otp.check(id, STUB_CODE)).toEqual({
      status: 'VERIFIED',
      verified: true,
      attemptsRemaining: 3,
    });
  });

  it('locks after the last wrong code', async () => {
    const { id } = await otp.start({ application: 'strict', destination: randomPhone() });
    expect((await otp.check(id, '111111')).attemptsRemaining).toBe(1);
    expect(await otp.check(id, '222222')).toEqual({
      status: 'LOCKED',
      verified: false,
      attemptsRemaining: 0,
    });
    await expect(otp.check(id, STUB_CODE)).rejects.toMatchObject({
      code: 'OTP_ALREADY_FINISHED',
      status: 'LOCKED',
    });
  });

  it('expires after the TTL; a late check and a resend answer EXPIRED', async () => {
    const { id, status } = await otp.start({ application: 'short', destination: randomPhone() });
    // The 1 s TTL may run out before start answers on a busy machine.
    expect(['PENDING', 'EXPIRED']).toContain(status);
    await finished(id);
    await expect(otp.check(id, STUB_CODE)).rejects.toMatchObject({
      code: 'OTP_ALREADY_FINISHED',
      status: 'EXPIRED',
    });
    await expect(otp.resend(id)).rejects.toMatchObject({ status: 'EXPIRED' });
    expect((await otp.status(id)).status).toBe('EXPIRED');
  });

  it('cancels; cancelling again is a no-op, a check then throws CANCELLED-finished', async () => {
    const { id } = await otp.start({ application: 'login', destination: randomPhone() });
    expect((await otp.cancel(id)).status).toBe('CANCELLED');
    await finished(id);
    expect((await otp.cancel(id)).status).toBe('CANCELLED');
    await expect(otp.check(id, STUB_CODE)).rejects.toMatchObject({
      code: 'OTP_ALREADY_FINISHED',
      status: 'CANCELLED',
    });
  });

  it('refuses a resend during the cooldown with a retry-after', async () => {
    const { id } = await otp.start({ application: 'login', destination: randomPhone() });
    const err = await otp.resend(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    const limited = err as RateLimitedError;
    expect(limited.reason).toBe('COOLDOWN');
    expect(limited.retryAfterSeconds).toBeGreaterThan(20);
    expect(limited.retryAfterSeconds).toBeLessThanOrEqual(30);
    expect(stub.resends).toBe(0);
  });

  it('rejects a malformed code without writing history or using an attempt', async () => {
    const { id } = await otp.start({ application: 'login', destination: randomPhone() });
    const handle = env.client.workflow.getHandle(id);
    const before = (await handle.fetchHistory()).events?.length;
    for (const code of ['12345', '12a456', '１２３４５６']) {
      const err = await otp.check(id, code).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err).toMatchObject({ field: 'code' });
    }
    expect((await handle.fetchHistory()).events?.length).toBe(before);
    expect((await otp.status(id)).attemptsRemaining).toBe(3);
  });

  it('treats an unknown ID and an ID of an application it does not serve the same', async () => {
    const { id } = await otp.start({ application: 'other', destination: randomPhone() });
    const loginOnly = otp.forApplications(['login']);
    for (const [client, target] of [
      [otp, 'otp-login-doesnotexist'],
      [loginOnly, id],
    ] as const) {
      const err = await client.status(target).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnknownVerificationError);
      expect(err).toMatchObject({ code: 'OTP_UNKNOWN_VERIFICATION' });
      await expect(client.check(target, STUB_CODE)).rejects.toBeInstanceOf(UnknownVerificationError);
    }
  });

  it('validates input before starting anything', async () => {
    const cases: [Parameters<OtpClient['start']>[0], string][] = [
      [{ application: 'nope', destination: randomPhone() }, 'application'],
      [{ destination: randomPhone() }, 'application'],
      [{ application: 'login', to: '+4112' }, 'to'],
      [{ application: 'login', to: '0791234567' }, 'to'],
      // The old name of the field still works, and errors use the new one.
      [{ application: 'swiss', destination: '+4915112345678' }, 'to'],
      [{ application: 'login', destination: 'a@example.com', channel: 'email' }, 'channel'],
      [{ application: 'login', destination: randomPhone(), channel: 'fax' }, 'channel'],
      [{ application: 'login', to: randomPhone(), language: 'not a language' }, 'language'],
      [{ application: 'login', destination: randomPhone(), id: 'bad id!' }, 'id'],
      [{ application: 'login', destination: randomPhone(), placeholders: { pin: '1' } }, 'placeholders.pin'],
    ];
    for (const [input, field] of cases) {
      const err = await otp.start(input).catch((e: unknown) => e);
      expect(err, JSON.stringify(input)).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).field).toBe(field);
    }
  });

  it('starts with a caller ID, refuses that ID for another destination, and lists by status and application', async () => {
    const id = `order-${Date.now()}`;
    const started = await otp.start({ application: 'login', destination: randomPhone(), id });
    expect(started.id).toBe(id);
    await expect(otp.start({ application: 'login', destination: randomPhone(), id })).rejects.toMatchObject({
      field: 'id',
    });
    let rows: Awaited<ReturnType<OtpClient['list']>> = [];
    for (let i = 0; i < 50 && !rows.some((r) => r.id === id); i++) {
      rows = await otp.list({ status: 'PENDING', application: 'login' });
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(rows.find((r) => r.id === id)).toMatchObject({
      status: 'PENDING',
      application: 'login',
      channel: 'SMS',
    });
    expect(JSON.stringify(rows)).not.toContain('+41');
    await expect(otp.list({ status: 'SLEEPING' })).rejects.toMatchObject({ field: 'status' });
  });
});
