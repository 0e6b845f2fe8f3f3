/**
 * Worker crashes: 200 verifications in every state (looking up, sending, pending, being
 * verified, expiring, cancelled, falling back to voice, locking, undeliverable) while the
 * worker process is SIGKILLed at random points and restarted, at least ten times. Every flow
 * must end in the state its inputs call for, none may be lost, and each destination's inbox
 * must hold no PIN its flow's timeline does not account for.
 */
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ensureApplication } from '../../setup/applications';
import { createEmulator, type Emulator } from '../../emulator';
import { createInfobipClient, type InfobipClient } from '../../infobip';
import { cancelSignal, submitCodeSignal } from '../../domain/messages';
import type { VerificationInput, VerificationStatus } from '../../domain/types';
import { testNumber } from '../harness/stack';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal';
import {
  API_KEY,
  chaosApplication,
  flowInput,
  messagesAccountedFor,
  pool,
  prepareWorkerProcess,
  reportFigures,
  resultOf,
  startVerification,
  type Handle,
  type WorkerProcess,
} from './support';

const KILLS = 12;

type Plan = 'VERIFY' | 'EXPIRE' | 'CANCEL' | 'FALLBACK' | 'LOCK' | 'UNDELIVERABLE';
const PLANS: [Plan, number, VerificationStatus][] = [
  ['VERIFY', 70, 'VERIFIED'],
  ['EXPIRE', 40, 'EXPIRED'],
  ['CANCEL', 30, 'CANCELLED'],
  ['FALLBACK', 30, 'VERIFIED'],
  ['LOCK', 20, 'LOCKED'],
  ['UNDELIVERABLE', 10, 'UNDELIVERABLE'],
];

interface Flow {
  plan: Plan;
  expected: VerificationStatus;
  to: string;
  handle: Handle;
  submitted: Set<string>;
  done: boolean;
}

let env: TestWorkflowEnvironment;
let emulator: Emulator;
let infobip: InfobipClient;
let child: ChildProcess | undefined;
const spares: Promise<WorkerProcess>[] = [];
const app = chaosApplication({
  lookup: 'ADVISORY',
  maxAttempts: 5,
  ttlSeconds: 120,
  resendCooldownSeconds: 1,
});
const taskQueue = uniqueTaskQueue('crash');

beforeAll(async () => {
  env = await connectTestEnv();
  emulator = await createEmulator({ apiKeys: [API_KEY], managementLimits: false });
  infobip = createInfobipClient({ baseUrl: emulator.url, apiKey: API_KEY });
  await ensureApplication(infobip, app, { dryRun: false });
});
afterAll(async () => {
  child?.kill('SIGKILL');
  for (const s of spares) (await s.catch(() => undefined))?.proc.kill('SIGKILL');
  await emulator?.close();
  await infobip?.close();
  await env?.teardown();
});

/** Starts a worker process and resolves once it is ready to poll (it polls after `go()`). */
function prepareWorker(): Promise<WorkerProcess> {
  return prepareWorkerProcess({
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
    taskQueue,
    bundlePath: inject('workflowBundlePath'),
    emulatorUrl: emulator.url,
    apiKey: API_KEY,
    applications: [app],
  });
}

function killNow(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A code that is well formed and certainly not `pin`. */
const wrongCode = (pin: string) => pin.slice(0, -1) + String((Number(pin.at(-1)) + 1) % 10);

// The product's default retry budget (120 s): a send interrupted by a kill is retried only
// after its 15 s start-to-close timeout, and several kills can hit one flow.
const budget = { retryBudgetSeconds: 120 };
// Flows the test ends itself live long enough that a slow, loaded machine never expires them.
const long = { ttlSeconds: 600 };

function inputFor(plan: Plan, to: string): VerificationInput {
  switch (plan) {
    case 'EXPIRE':
      return flowInput(app, to, { policy: { ...budget, ttlSeconds: randomInt(3, 11) } });
    case 'FALLBACK':
      return flowInput(app, to, {
        policy: { ...budget, ...long, fallback: [{ channel: 'VOICE', afterSeconds: 3 }] },
      });
    case 'LOCK':
      return flowInput(app, to, { policy: { ...budget, ...long, maxAttempts: 3 } });
    case 'UNDELIVERABLE':
      return flowInput(app, to, { policy: { ...budget, lookup: 'REQUIRED' } });
    default:
      return flowInput(app, to, { policy: { ...budget, ...long } });
  }
}

/** Plays the people: types the newest PIN, types wrong codes, cancels — whatever each plan calls for. */
async function drive(flows: Flow[]): Promise<void> {
  const pending = new Set<string>();
  const query = `OtpApplication="${app.name}" AND OtpStatus="PENDING" AND ExecutionStatus="Running"`;
  for await (const info of env.client.workflow.list({ query })) pending.add(info.workflowId);
  await pool(
    flows.filter((f) => !f.done && pending.has(f.handle.workflowId)),
    16,
    async (f) => {
      const inbox = emulator.inbox.messages(f.to);
      const newest = f.plan === 'FALLBACK' ? inbox.find((m) => m.channel === 'VOICE') : inbox[0];
      if (!newest) return;
      if ((f.plan === 'VERIFY' || f.plan === 'FALLBACK') && !f.submitted.has(newest.pin)) {
        f.submitted.add(newest.pin);
        await f.handle.signal(submitCodeSignal, newest.pin);
      } else if (f.plan === 'LOCK' && f.submitted.size === 0) {
        f.submitted.add('wrong');
        for (let i = 0; i < 3; i++) await f.handle.signal(submitCodeSignal, wrongCode(newest.pin));
      }
    },
  );
}

it('keeps 200 flows through 12 SIGKILLed workers: right end state, none lost, no extra PIN', async () => {
  let current = await prepareWorker();
  child = current.proc;
  current.go();
  const numbers = new Set<string>();
  const fresh = (suffix?: string) => {
    let n = testNumber(suffix);
    while (numbers.has(n)) n = testNumber(suffix);
    numbers.add(n);
    return n;
  };
  const specs = PLANS.flatMap(([plan, count, expected]) =>
    Array.from({ length: count }, () => ({
      plan,
      expected,
      to: fresh(plan === 'UNDELIVERABLE' ? '0003' : undefined),
    })),
  ).sort(() => Math.random() - 0.5);

  const flows: Flow[] = [];
  const starting = pool(specs, 10, async (s) => {
    const handle = await startVerification(env.client, taskQueue, inputFor(s.plan, s.to));
    const flow: Flow = { ...s, handle, submitted: new Set(), done: false };
    flows.push(flow);
    if (s.plan === 'CANCEL') {
      setTimeout(
        () => void handle.signal(cancelSignal, 'changed my mind').catch(() => undefined),
        randomInt(0, 20_000),
      );
    }
  });

  let driving = true;
  const driver = (async () => {
    while (driving) {
      await drive(flows).catch(() => undefined);
      await sleep(1_000);
    }
  })();

  // The kills: each worker polls for a random 0.3–3 s, then SIGKILL; the next process (loaded
  // meanwhile) starts polling right after the kill.
  const began = Date.now();
  let kills = 0;
  for (; kills < KILLS; kills++) {
    // Two processes load ahead, so a slow start does not stretch the run.
    while (spares.length < Math.min(2, KILLS - kills)) spares.push(prepareWorker());
    await sleep(randomInt(300, 3_000));
    await killNow(current.proc);
    current = await spares.shift()!;
    child = current.proc;
    current.go();
  }
  await starting;

  const killPhaseMs = Date.now() - began;
  const closed = await Promise.all(
    flows.map(async (f) => {
      const result = await resultOf(f.handle);
      f.done = true;
      return { f, result };
    }),
  );
  driving = false;
  await driver;

  let pinsAccounted = 0;
  let extraPins = 0;
  const wrong: string[] = [];
  for (const { f, result } of closed) {
    if (result.status !== f.expected)
      wrong.push(`${f.plan} ${f.handle.workflowId}: ${result.status} (${result.reason ?? ''})`);
    if (f.plan === 'FALLBACK' && result.status === 'VERIFIED') expect(result.channel).toBe('VOICE');
    const pins = new Set(emulator.inbox.messages(f.to).map((m) => m.pin)).size;
    const { max } = messagesAccountedFor(result.timeline);
    pinsAccounted += pins;
    if (pins > max) {
      extraPins += pins - max;
      wrong.push(`${f.plan} ${f.handle.workflowId}: ${pins} PINs, timeline accounts for ${max}`);
    }
  }
  const byStatus = Object.fromEntries(
    PLANS.map(([, , s]) => [s, closed.filter((c) => c.result.status === s).length]),
  );
  reportFigures('worker-crash', {
    killsSurvived: kills,
    killPhaseMs,
    drainMs: Date.now() - began - killPhaseMs,
    flowsStarted: specs.length,
    flowsChecked: closed.length,
    flowsLost: specs.length - closed.length,
    pinsDelivered: pinsAccounted,
    extraPins,
    outcomes: JSON.stringify(byStatus),
  });
  expect(wrong).toEqual([]);
  expect(closed).toHaveLength(200);
  expect(kills).toBeGreaterThanOrEqual(10);
}, 300_000);
