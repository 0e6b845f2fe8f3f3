/**
 * Brute force and abuse: a thousand wrong codes, a thousand malformed ones, a storm of starts
 * and resends for one person, numbers from countries an application does not serve, API keys
 * that almost match, and IDs that belong to someone else.
 */
import * as crypto from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiServer } from '../../api/server';
import { InvalidInputError, VerificationFinishedError } from '../../client/errors';
import { OtpClient } from '../../client/otp-client';
import { statusQuery } from '../../domain/messages';
import { testNumber } from '../harness/stack';
import { connectTestEnv } from '../harness/temporal';
import {
  chaosApplication,
  flowInput,
  HASH_KEY,
  OP,
  pool,
  reportFigures,
  resultOf,
  startChaosStack,
  type ChaosStack,
} from './support';

// Every call of timingSafeEqual is recorded, so the test can see the API key check use it.
vi.mock('node:crypto', async (original) => {
  const real = await original<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const KEY_A = 'tenant-a-key-0123456789abcdef';
const KEY_B = 'tenant-b-key-0123456789abcdef';
const appA = chaosApplication({
  lookup: 'OFF',
  maxAttempts: 3,
  maxResends: 2,
  resendCooldownSeconds: 0,
  ttlSeconds: 120,
});
const appB = chaosApplication({ lookup: 'OFF' });
const fiveTries = chaosApplication({ lookup: 'OFF', maxAttempts: 5, ttlSeconds: 120 });
const swiss = chaosApplication({ lookup: 'OFF', allowedCountries: ['CH'] });
let env: TestWorkflowEnvironment;
let stack: ChaosStack;
let otp: OtpClient;
let api: FastifyInstance;
let base: string;
const figures = {
  wrongCodes: 0,
  malformedCodes: 0,
  verifyCallsForWrongCodes: 0,
  rapidStarts: 0,
  sendsForRapidStarts: 0,
};

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startChaosStack(env, { applications: [appA, appB, swiss, fiveTries] });
  otp = new OtpClient({
    client: env.client,
    applications: [appA, appB, swiss, fiveTries],
    destinationHashKey: HASH_KEY,
    taskQueue: stack.taskQueue,
  });
  api = createApiServer({
    otp,
    apiKeys: [
      { key: KEY_A, applications: [appA.name, fiveTries.name] },
      { key: KEY_B, applications: [appB.name] },
    ],
  });
  base = await api.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  reportFigures('abuse', figures);
  await api?.close();
  await stack?.close();
  await env?.teardown();
});

const wrongTo = (pin: string) => (i: number) => {
  const n = (Number(pin) + 1 + i) % 1_000_000;
  return String(n === Number(pin) ? n + 1 : n).padStart(6, '0');
};

describe('brute force', () => {
  it('lets 1,000 wrong codes cost exactly the configured attempts at Infobip, then LOCKED', async () => {
    const to = testNumber();
    const { id } = await otp.start({ application: appA.name, destination: to });
    const wrong = wrongTo(stack.inbox(to)[0]!.pin);
    const before = stack.requests(OP.verify);
    // One caller after another; a concurrent flood makes extra verify calls (pending-bugs.test.ts).
    const outcomes: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      outcomes.push(
        await otp.check(id, wrong(i)).then(
          (r) => r.status,
          (err: unknown) => {
            if (err instanceof VerificationFinishedError) return `finished:${err.status}`;
            throw err;
          },
        ),
      );
    }
    figures.wrongCodes += outcomes.length;
    figures.verifyCallsForWrongCodes += stack.requests(OP.verify) - before;
    expect(stack.requests(OP.verify) - before).toBe(3);
    expect(outcomes.slice(0, 3)).toEqual(['PENDING', 'PENDING', 'LOCKED']);
    expect(outcomes.slice(3).every((o) => o === 'finished:LOCKED')).toBe(true);
    expect((await otp.status(id)).status).toBe('LOCKED');
  });

  it('answers 20 parallel wrong codes over HTTP alike: the last attempt 200 LOCKED, every later one 409', async () => {
    const to = testNumber();
    const { id } = await otp.start({ application: fiveTries.name, destination: to });
    const wrong = wrongTo(stack.inbox(to)[0]!.pin);
    const before = stack.requests(OP.verify);
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await fetch(`${base}/v1/verifications/${encodeURIComponent(id)}/check`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
          body: JSON.stringify({ code: wrong(i) }),
        });
        const body = (await res.json()) as Record<string, unknown>;
        return res.status === 200
          ? `200 ${String(body.status)} ${String(body.attemptsRemaining)}`
          : `${res.status} ${String(body.type).split('/').pop()} ${String(body.verificationStatus)}`;
      }),
    );
    figures.wrongCodes += answers.length;
    figures.verifyCallsForWrongCodes += stack.requests(OP.verify) - before;
    expect(stack.requests(OP.verify) - before).toBe(5);
    // Four wrong codes count down, one uses the last attempt; the fifteen that find the
    // flow locked (queued behind it or arriving after) get the same answer.
    expect(answers.sort()).toEqual([
      '200 LOCKED 0',
      '200 PENDING 1',
      '200 PENDING 2',
      '200 PENDING 3',
      '200 PENDING 4',
      ...Array.from({ length: 15 }, () => '409 already-finished LOCKED'),
    ]);
  });

  it('lets 300 malformed codes cost nothing: no Infobip call, no attempt, no history event', async () => {
    const to = testNumber();
    const { id } = await otp.start({ application: appA.name, destination: to });
    const pin = stack.inbox(to)[0]!.pin;
    const handle = env.client.workflow.getHandle(id);
    const events = (await handle.fetchHistory()).events?.length;
    const before = stack.requests(OP.verify);
    const shapes = [
      (i: number) => String(i).padStart(5, '0'),
      (i: number) => String(i).padStart(7, '0'),
      (i: number) => `${pin.slice(0, 5)}${'٠١٢٣٤٥٦٧٨٩'[i % 10]}`,
      (i: number) => `${'１２３４５'}${i % 10}`,
      (i: number) => `ABC${String(i).padStart(3, '0')}`,
      () => `${pin.slice(0, 3)}.${pin.slice(3)}`,
      () => '',
      () => '       ',
      (i: number) => 'x'.repeat(65 + i),
      (i: number) => `${pin.slice(0, 5)}${String.fromCodePoint(0x1f600 + (i % 50))}`,
    ];
    const codes = Array.from({ length: 300 }, (_, i) => shapes[i % shapes.length]!(i));
    const rejected = await pool(codes, 10, async (code) =>
      otp.check(id, code).then(
        () => false,
        (err: unknown) => err instanceof InvalidInputError && err.field === 'code',
      ),
    );
    figures.malformedCodes += rejected.length;
    expect(rejected.every(Boolean)).toBe(true);
    expect(stack.requests(OP.verify)).toBe(before);
    expect((await handle.fetchHistory()).events?.length).toBe(events);
    expect(await handle.query(statusQuery)).toMatchObject({ status: 'PENDING', attemptsRemaining: 3 });
    expect(await otp.check(id, pin)).toMatchObject({ status: 'VERIFIED' });
  });
});

describe('starts and resends for one person', () => {
  it('answers 50 concurrent starts for one destination with one verification and one PIN', async () => {
    const to = testNumber();
    const sends = stack.requests(OP.sendSms);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => otp.start({ application: appA.name, destination: to })),
    );
    figures.rapidStarts += answers.length;
    figures.sendsForRapidStarts += stack.requests(OP.sendSms) - sends;
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect(stack.requests(OP.sendSms) - sends).toBe(1);
    expect(stack.inbox(to)).toHaveLength(1);
  });

  it('refuses resends past the maximum without asking Infobip', async () => {
    const to = testNumber();
    const { id } = await otp.start({ application: appA.name, destination: to });
    const resends = stack.requests(OP.resendSms);
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        otp.resend(id).then(
          () => 'accepted',
          (err: { code?: string; reason?: string }) => `${err.code}:${err.reason}`,
        ),
      ),
    );
    expect(answers.filter((a) => a === 'accepted')).toHaveLength(2);
    expect(answers.filter((a) => a === 'OTP_RATE_LIMITED:MAX_RESENDS')).toHaveLength(28);
    expect(stack.requests(OP.resendSms) - resends).toBe(2);
  });
});

describe('allowed countries', () => {
  it('refuses a number from another country before anything starts or reaches Infobip', async () => {
    const before = stack.emulator.stats.requests();
    const german = '+4915112345678';
    await expect(otp.start({ application: swiss.name, to: german })).rejects.toMatchObject({
      code: 'OTP_INVALID_INPUT',
      field: 'to',
    });
    const res = await fetch(`${base}/v1/verifications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
      body: JSON.stringify({ application: appA.name, to: german, channel: 'sms' }),
    });
    expect(res.status).toBe(201);
    await res.body?.cancel();
    // A flow started around the client still refuses, inside the workflow, before any call.
    const h = await stack.start(flowInput(swiss, german));
    const failure = await resultOf(h).catch((e: { cause?: { type?: string } }) => e.cause?.type);
    expect(failure).toBe('InvalidInput');
    const after = stack.emulator.stats.requests();
    expect(after[OP.sendSms] ?? 0).toBe((before[OP.sendSms] ?? 0) + 1);
    expect(after[OP.lookup] ?? 0).toBe(before[OP.lookup] ?? 0);
  });
});

describe('API keys and other tenants', () => {
  async function get(path: string, auth?: string) {
    const res = await fetch(base + path, { headers: auth === undefined ? {} : { authorization: auth } });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
  }

  it('checks API keys with timingSafeEqual on equal-length digests: equal, unequal and other lengths', async () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    const cases: [string, number][] = [
      [`Bearer ${KEY_A}`, 404],
      [`bearer ${KEY_B}`, 404],
      [`Bearer ${KEY_A.slice(0, -1)}X`, 401],
      [`Bearer ${KEY_A.slice(0, -1)}`, 401],
      [`Bearer ${KEY_A}0`, 401],
      [`Bearer ${'k'.repeat(4_000)}`, 401],
      ['Bearer x', 401],
      [`Basic ${KEY_A}`, 401],
      [`Bearer ${KEY_A.toUpperCase()}`, 401],
    ];
    for (const [auth, status] of cases) {
      spy.mockClear();
      const res = await get('/v1/verifications/otp-none', auth);
      expect(res.status).toBe(status);
      if (auth.toLowerCase().startsWith('bearer ')) {
        // A right key reaches the route (404: no such verification), any other is 401.
        // Compared with every key, always on 32-byte digests, whatever the key's length.
        expect(spy).toHaveBeenCalledTimes(2);
        for (const [a, b] of spy.mock.calls)
          expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
      }
    }
    expect((await get('/v1/verifications/otp-none')).status).toBe(401);
  });

  it('answers an unknown ID and another tenant’s ID identically', async () => {
    const { id } = await otp.start({ application: appB.name, destination: testNumber() });
    const unknown = `otp-${appB.name}-${'0'.repeat(32)}`;
    const mine = await get(`/v1/verifications/${encodeURIComponent(id)}`, `Bearer ${KEY_B}`);
    expect(mine.status).toBe(200);
    for (const suffix of ['', '/check', '/resend', '/cancel']) {
      const method = suffix ? 'POST' : 'GET';
      const body = suffix === '/check' ? JSON.stringify({ code: '123456' }) : suffix ? '{}' : undefined;
      const ask = async (target: string) => {
        const res = await fetch(`${base}/v1/verifications/${encodeURIComponent(target)}${suffix}`, {
          method,
          headers: {
            authorization: `Bearer ${KEY_A}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          body,
        });
        return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
      };
      expect(await ask(id)).toEqual(await ask(unknown));
      expect((await ask(id)).status).toBe(404);
    }
    const foreign = await otp
      .forApplications([appA.name])
      .status(id)
      .catch((e: Error & { code?: string }) => e);
    const missing = await otp
      .forApplications([appA.name])
      .status(unknown)
      .catch((e: Error & { code?: string }) => e);
    expect([(foreign as { code?: string }).code, (missing as { code?: string }).code]).toEqual([
      'OTP_UNKNOWN_VERIFICATION',
      'OTP_UNKNOWN_VERIFICATION',
    ]);
    expect((foreign as Error).message.replace(id, 'ID')).toBe(
      (missing as Error).message.replace(unknown, 'ID'),
    );
    // Nothing was changed by the foreign calls.
    expect((await otp.status(id)).status).toBe('PENDING');
  });
});
