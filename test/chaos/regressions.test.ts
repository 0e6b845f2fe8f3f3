/**
 * Regressions: outages the chaos suite found the product mishandling, each fixed since (verify
 * as a regular activity, bounded lookup retries, bounded recovery sends). They stay here so that the
 * bugs cannot come back: a verify outage answers CHECK_UNAVAILABLE in time, a lookup outage
 * ends within its retry budget, endlessly lost send answers cost at most three PINs, and a flood
 * of concurrent wrong codes costs Infobip exactly the configured attempts.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusQuery, verifyUpdate } from '../../domain/messages';
import type { VerificationState } from '../../domain/types';
import { CheckUnavailableError } from '../../client/errors';
import { OtpClient } from '../../client/otp-client';
import { testNumber } from '../harness/stack';
import { connectTestEnv } from '../harness/temporal';
import {
  chaosApplication,
  flowInput,
  HASH_KEY,
  messagesAccountedFor,
  pool,
  reportFigures,
  resultOf,
  startChaosStack,
  waitFor,
  type ChaosStack,
} from './support';

let env: TestWorkflowEnvironment;
let stack: ChaosStack;
const app = chaosApplication({ lookup: 'ADVISORY', maxAttempts: 3, ttlSeconds: 120 });

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startChaosStack(env, { applications: [app] });
});
afterAll(async () => {
  await stack?.close();
  await env?.teardown();
});

describe('regressions found by the chaos suite', () => {
  it('answers CHECK_UNAVAILABLE within its budget when Infobip verify stays down (500), attempt kept', async () => {
    const to = testNumber();
    const h = await stack.start(flowInput(app, to));
    await waitFor(
      async () => ((await h.query(statusQuery)).status === 'PENDING' ? true : undefined),
      'PENDING',
    );
    const rule = stack.emulator.faults.add({
      match: { path: '/2fa/2/pin/{pinId}/verify' },
      action: { status: 500 },
    });
    const started = Date.now();
    const outcome = await Promise.race([
      h.executeUpdate(verifyUpdate, { args: [stack.inbox(to)[0]!.pin] }).then(
        () => 'ANSWERED',
        (e: { cause?: { type?: string } }) => e.cause?.type ?? 'ERROR',
      ),
      new Promise<string>((r) => setTimeout(() => r('NO ANSWER AFTER 35 s'), 35_000)),
    ]);
    stack.emulator.faults.remove(rule.id);
    expect(outcome).toBe('CheckUnavailable');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(((await h.query(statusQuery)) as VerificationState).attemptsRemaining).toBe(3);
  }, 90_000);

  it('ends a REQUIRED lookup outage as FAILED within retryBudgetSeconds (3 s budget)', async () => {
    const rule = stack.emulator.faults.add({ match: { path: '/number/1/query' }, action: { status: 500 } });
    const started = Date.now();
    const h = await stack.start(
      flowInput(app, testNumber(), { policy: { lookup: 'REQUIRED', retryBudgetSeconds: 3 } }),
    );
    const result = await resultOf(h);
    stack.emulator.faults.remove(rule.id);
    expect(result.status).toBe('FAILED');
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 90_000);

  it('sends at most 3 PINs, and accounts for them, when every send answer is lost until the budget runs out', async () => {
    const to = testNumber();
    const rule = stack.emulator.faults.add({
      match: { method: 'POST', path: '/2fa/2/pin' },
      action: { dropResponse: true },
    });
    const h = await stack.start(flowInput(app, to, { policy: { retryBudgetSeconds: 8 } }));
    const result = await resultOf(h);
    stack.emulator.faults.remove(rule.id);
    const pins = new Set(stack.inbox(to).map((m) => m.pin)).size;
    expect(result.status).toBe('FAILED');
    // One fresh PIN per lost answer until maxLostSendAnswers (3) answers are lost.
    expect(pins).toBeLessThanOrEqual(3);
    expect(messagesAccountedFor(result.timeline).max).toBeGreaterThanOrEqual(pins);
  }, 60_000);

  it('lets a flood of 1,000 wrong codes (25 callers at a time) reach Infobip only maxAttempts (3) times', async () => {
    const to = testNumber();
    const h = await stack.start(flowInput(app, to));
    await waitFor(
      async () => ((await h.query(statusQuery)).status === 'PENDING' ? true : undefined),
      'PENDING',
    );
    const pin = stack.inbox(to)[0]!.pin;
    const wrong = (i: number) => String((Number(pin) + 1 + i) % 1_000_000).padStart(6, '0');
    const before = stack.requests('POST /2fa/2/pin/{pinId}/verify');
    await pool(
      Array.from({ length: 1_000 }, (_, i) => i),
      25,
      (i) => h.executeUpdate(verifyUpdate, { args: [wrong(i)] }).catch(() => undefined),
    );
    expect((await resultOf(h)).status).toBe('LOCKED');
    expect(stack.requests('POST /2fa/2/pin/{pinId}/verify') - before).toBe(3);
  }, 120_000);
});

describe('a check while Infobip errs or stays silent (#19)', () => {
  // Infobip's client waits as long as Infobip does, so a hanging verify is cut by the check
  // budget, not by the client's own timeout.
  let slow: ChaosStack;
  let otp: OtpClient;
  const usual = chaosApplication({ lookup: 'OFF', maxAttempts: 3, ttlSeconds: 120 });
  const tight = chaosApplication({ lookup: 'OFF', maxAttempts: 3, ttlSeconds: 120, checkTimeoutSeconds: 3 });
  const figures: Record<string, number> = {};

  beforeAll(async () => {
    slow = await startChaosStack(env, {
      applications: [usual, tight],
      infobip: { headersTimeoutMs: 60_000 },
    });
    otp = new OtpClient({
      client: env.client,
      applications: [usual, tight],
      destinationHashKey: HASH_KEY,
      taskQueue: slow.taskQueue,
    });
  });
  afterAll(async () => {
    reportFigures('check-budget', figures);
    await slow?.close();
  });

  /** The verify activity's schedule-to-close timeout, in ms, as the flow's history holds it. */
  async function verifyBudgetMs(id: string): Promise<number | undefined> {
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    const scheduled = history.events?.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyPin',
    )?.activityTaskScheduledEventAttributes?.scheduleToCloseTimeout;
    return scheduled ? Number(scheduled.seconds ?? 0) * 1000 + (scheduled.nanos ?? 0) / 1e6 : undefined;
  }

  it.each([
    ['answers 503', usual, { status: 503 }, 4_000],
    ['hangs', usual, { latencyMs: 20_000 }, 4_000],
    ['hangs, with checkTimeoutSeconds 3', tight, { latencyMs: 20_000 }, 2_000],
  ] as const)(
    'answers CHECK_UNAVAILABLE within the check budget when verify %s, counting no attempt',
    async (name, app, action, verifyMs) => {
      const to = testNumber();
      const { id } = await otp.start({ application: app.name, destination: to });
      const pin = slow.inbox(to)[0]!.pin;
      const wrong = String((Number(pin) + 1) % 1_000_000).padStart(6, '0');
      const rule = slow.emulator.faults.add({ match: { path: '/2fa/2/pin/{pinId}/verify' }, action });
      const started = Date.now();
      const err = await otp.check(id, wrong).catch((e: unknown) => e);
      const tookMs = Date.now() - started;
      slow.emulator.faults.remove(rule.id);
      figures[name.replace(/\W+/g, '_')] = tookMs;
      expect(err).toBeInstanceOf(CheckUnavailableError);
      // Measured ~4.1 s end to end with the default 5 s budget; before #19 it took 19.6 s.
      expect(tookMs).toBeLessThan(10_000);
      expect(await verifyBudgetMs(id)).toBe(verifyMs);
      expect((await otp.status(id)).attemptsRemaining).toBe(3);
      expect(await otp.check(id, pin)).toMatchObject({ status: 'VERIFIED', attemptsRemaining: 3 });
    },
    60_000,
  );
});
