/**
 * Lockouts that last against a guessing attack: 1,000 wrong codes for one number, spread over
 * one (scaled) hour, each time starting a new verification when the last one locked. Only the
 * starts the lockouts let through can reach Infobip, each with at most `maxAttempts` checks:
 * the figure is the checks Infobip got against that bound.
 *
 * Inputs (environment): LOCKOUT_HOUR_SECONDS (60: the scaled hour; the lockout is a quarter of
 * it, 15 minutes of an hour, doubling each time), LOCKOUT_WRONG_CODES (1000).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DestinationLockedError, VerificationFinishedError } from '../../client/errors';
import { OtpClient } from '../../client/otp-client';
import type { ApplicationDeclaration } from '../../config/types';
import { testNumber } from '../harness/stack';
import { connectTestEnv } from '../harness/temporal';
import { chaosApplication, HASH_KEY, OP, reportFigures, startChaosStack, type ChaosStack } from './support';

const input = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const HOUR = input('LOCKOUT_HOUR_SECONDS', 60);
const WRONG_CODES = input('LOCKOUT_WRONG_CODES', 1000);
const MAX_ATTEMPTS = 5;
const LOCKOUT = {
  seconds: Math.round(HOUR / 4),
  growthFactor: 2,
  maxSeconds: HOUR * 24,
  windowSeconds: HOUR * 24,
};

const app: ApplicationDeclaration = {
  ...chaosApplication({ lookup: 'OFF', maxAttempts: MAX_ATTEMPTS, maxResends: 0, ttlSeconds: HOUR * 2 }),
  guard: { lockout: LOCKOUT, breaker: { enabled: false } },
};

/** Starts the lockouts let through in `hour` seconds: one at 0, the next when each lockout ends. */
function lockoutBoundedStarts(hour: number): number {
  let starts = 1;
  let at = 0;
  let lockout = LOCKOUT.seconds;
  for (;;) {
    at += lockout;
    if (at >= hour) return starts;
    starts += 1;
    lockout = Math.min(LOCKOUT.maxSeconds, lockout * LOCKOUT.growthFactor);
  }
}

let env: TestWorkflowEnvironment;
let stack: ChaosStack;
let otp: OtpClient;

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startChaosStack(env, { applications: [app] });
  otp = new OtpClient({
    client: env.client,
    applications: [app],
    destinationHashKey: HASH_KEY,
    taskQueue: stack.taskQueue,
  });
});
afterAll(async () => {
  await stack?.close();
  await env?.teardown();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a guessing attack on one number', () => {
  it(
    'reaches Infobip at most maxAttempts × lockout-bounded starts times',
    async () => {
      const to = testNumber();
      const verifiesBefore = stack.requests(OP.verify);
      const sendsBefore = stack.requests(OP.sendSms);
      let current: { id: string; pin: string } | undefined;
      let starts = 0;
      let refusedStarts = 0;
      let finishedAnswers = 0;
      const t0 = Date.now();
      const every = (HOUR * 1000) / WRONG_CODES;
      for (let k = 0; k < WRONG_CODES; k++) {
        const wait = t0 + k * every - Date.now();
        if (wait > 0) await sleep(wait);
        if (!current) {
          try {
            const started = await otp.start({ destination: to });
            if (started.created) starts += 1;
            current = { id: started.id, pin: stack.inbox(to)[0]?.pin ?? '000000' };
          } catch (err) {
            if (!(err instanceof DestinationLockedError)) throw err;
            refusedStarts += 1;
            continue;
          }
        }
        const wrong = String((Number(current.pin) + 1 + (k % 7)) % 1_000_000).padStart(6, '0');
        try {
          const r = await otp.check(current.id, wrong);
          expect(r.verified).toBe(false);
          if (r.status !== 'PENDING') current = undefined;
        } catch (err) {
          if (!(err instanceof VerificationFinishedError)) throw err;
          finishedAnswers += 1;
          current = undefined;
        }
      }
      const elapsed = (Date.now() - t0) / 1000;
      const reachedInfobip = stack.requests(OP.verify) - verifiesBefore;
      const boundedStarts = lockoutBoundedStarts(elapsed);
      const bound = MAX_ATTEMPTS * boundedStarts;
      reportFigures('lockout', {
        wrongCodes: WRONG_CODES,
        hourSeconds: HOUR,
        elapsedSeconds: Math.round(elapsed * 10) / 10,
        lockoutSeconds: LOCKOUT.seconds,
        startsCreated: starts,
        startsRefusedLocked: refusedStarts,
        checksAnsweredFinished: finishedAnswers,
        pinsSent: stack.requests(OP.sendSms) - sendsBefore,
        checksReachingInfobip: reachedInfobip,
        lockoutBoundedStarts: boundedStarts,
        bound,
      });
      expect(starts).toBeGreaterThanOrEqual(1);
      expect(starts).toBeLessThanOrEqual(boundedStarts);
      expect(reachedInfobip).toBeLessThanOrEqual(bound);
      expect(refusedStarts).toBeGreaterThan(0);
      expect(stack.requests(OP.sendSms) - sendsBefore).toBe(starts);
    },
    (HOUR + 240) * 1000,
  );
});
