/**
 * Delivery reports under faults. Reports that are dropped or delayed must not matter: the
 * fallback and expiry timers still do their job. Worker processes SIGKILLed while reports
 * arrive must not matter either: the ingress hands each report to Temporal, which keeps it
 * until a worker runs the flow. Every flow ends as its number calls for, none is lost, and no
 * destination's inbox holds a PIN its flow's timeline does not account for.
 */
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { DELIVERY_REPORTS_PATH } from '../../api/delivery-reports';
import { ApiMetrics } from '../../api/metrics';
import { createApiServer } from '../../api/server';
import { OtpClient } from '../../client/otp-client';
import { verificationId } from '../../client/identity';
import { statusQuery, submitCodeSignal } from '../../domain/messages';
import type { VerificationInput, VerificationStatus } from '../../domain/types';
import { createEmulator, type Emulator } from '../../emulator';
import { createInfobipClient, type InfobipClient } from '../../infobip';
import { ensureApplication } from '../../setup/applications';
import { testNumber } from '../harness/stack';
import { connectTestEnv, startWorker, uniqueTaskQueue, type RunningWorker } from '../harness/temporal';
import {
  API_KEY,
  chaosApplication,
  flowInput,
  HASH_KEY,
  messagesAccountedFor,
  pool,
  reportFigures,
  resultOf,
  startVerification,
  type Handle,
  killNow,
  prepareWorkerProcess,
  type WorkerProcess,
} from './support';

const BASIC = { username: 'infobip', password: 'chaos-delivery-secret-0123' };
const app = chaosApplication({ lookup: 'OFF', maxAttempts: 5, resendCooldownSeconds: 1 });

let env: TestWorkflowEnvironment;
let emulator: Emulator;
let infobip: InfobipClient;
let api: FastifyInstance;
const metrics = new ApiMetrics();
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  emulator = await createEmulator({
    apiKeys: [API_KEY],
    managementLimits: false,
    reports: { delayMs: 300, lateDelayMs: 3_000, retryTimeScale: 0.001 },
  });
  infobip = createInfobipClient({ baseUrl: emulator.url, apiKey: API_KEY });
  await ensureApplication(infobip, app, { dryRun: false });
  api = createApiServer({
    otp: new OtpClient({
      client: env.client,
      applications: [app],
      destinationHashKey: HASH_KEY,
      taskQueue: 'unused',
    }),
    apiKeys: ['chaos-delivery-api-key-0123'],
    metrics,
    deliveryReports: {
      client: env.client,
      applications: [app.name],
      destinationHashKey: HASH_KEY,
      credentials: [BASIC],
    },
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const port = (api.server.address() as { port: number }).port;
  emulator.reports.subscribe({ url: `http://127.0.0.1:${port}${DELIVERY_REPORTS_PATH}`, basic: BASIC });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await api?.close();
  await emulator?.close();
  await infobip?.close();
  await env?.teardown();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const received = (outcome: string) =>
  metrics.counter('otpflow_delivery_reports_received', '').get({ outcome });

/** Starts a flow with its derived ID, as `OtpClient` would, so the ingress finds it. */
function start(taskQueue: string, input: VerificationInput): Promise<Handle> {
  return startVerification(env.client, taskQueue, input, verificationId(app.name, input.destinationHash));
}

/** Distinct fresh numbers (with a suffix: an emulator outcome). */
function numbers(): (suffix?: string) => string {
  const seen = new Set<string>();
  return (suffix) => {
    let n = testNumber(suffix);
    while (seen.has(n)) n = testNumber(suffix);
    seen.add(n);
    return n;
  };
}

/** Extra PINs of closed flows: distinct PINs in each inbox beyond what the timeline accounts for. */
function extraPins(flows: { to: string; timeline: Parameters<typeof messagesAccountedFor>[0] }[]): number {
  return flows.reduce((n, f) => {
    const pins = new Set(emulator.inbox.messages(f.to).map((m) => m.pin)).size;
    return n + Math.max(pins - messagesAccountedFor(f.timeline).max, 0);
  }, 0);
}

describe('delivery reports that never come or come late', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker(env, {
      activities: createActivities({ infobip, applications: [app], heartbeatIntervalMs: 200 }),
    });
  });
  afterAll(async () => {
    await worker?.shutdown();
    emulator.faults.clear();
  });

  it('dropped reports: the fallback timer and the expiry still end every flow', async () => {
    emulator.faults.add({ match: { report: true }, action: { dropReport: true } });
    const fresh = numbers();
    const policy = { fallback: [{ channel: 'VOICE' as const, afterSeconds: 2 }], ttlSeconds: 6 };
    const tos = [
      ...Array.from({ length: 6 }, () => fresh('0021')),
      ...Array.from({ length: 6 }, () => fresh()),
    ];
    const handles = await Promise.all(
      tos.map((to) => start(worker.taskQueue, flowInput(app, to, { policy }))),
    );
    const results = await Promise.all(handles.map(resultOf));
    await emulator.reports.idle();
    for (const r of results) {
      expect(r.status).toBe('EXPIRED');
      expect(r.timeline.map((e) => e.kind)).toEqual(['SEND', 'RESEND', 'FALLBACK', 'STATUS']);
      expect(r.delivery).toMatchObject({ channel: 'VOICE', status: 'PENDING' });
    }
    const dropped = emulator.reports.pushes().filter((p) => p.state === 'DROPPED').length;
    expect(dropped).toBeGreaterThanOrEqual(tos.length * 2);
    const extra = extraPins(tos.map((to, i) => ({ to, timeline: results[i]!.timeline })));
    reportFigures('delivery-dropped', { flows: tos.length, reportsDropped: dropped, extraPins: extra });
    expect(extra).toBe(0);
    emulator.faults.clear();
  });

  it('delayed reports: the fallback timer fires first; a late undeliverable report still ends the flow', async () => {
    emulator.faults.add({ match: { report: true }, action: { latencyMs: 4_000 } });
    const fresh = numbers();
    const policy = { fallback: [{ channel: 'VOICE' as const, afterSeconds: 1 }], ttlSeconds: 30 };
    const dead = Array.from({ length: 5 }, () => fresh('0021'));
    const alive = Array.from({ length: 5 }, () => fresh());
    const handles = await Promise.all(
      [...dead, ...alive].map((to) => start(worker.taskQueue, flowInput(app, to, { policy }))),
    );
    // The living ones verify with the first message's code once both messages went out.
    await Promise.all(
      alive.map(async (to, i) => {
        for (let t = 0; emulator.inbox.messages(to).length < 2; t++) {
          if (t > 200) throw new Error(`no fallback for ${to}`);
          await sleep(100);
        }
        const first = emulator.inbox.messages(to).at(-1)!;
        await handles[dead.length + i]!.signal(submitCodeSignal, first.pin);
      }),
    );
    const results = await Promise.all(handles.map(resultOf));
    for (const r of results.slice(0, dead.length)) {
      expect(r.status).toBe('UNDELIVERABLE');
      const kinds = r.timeline.map((e) => e.kind);
      // The timer's fallback came before any report.
      expect(kinds.indexOf('FALLBACK')).toBeLessThan(kinds.indexOf('DELIVERY'));
    }
    for (const r of results.slice(dead.length)) {
      expect(r.status).toBe('VERIFIED');
      expect(r.timeline.slice(0, 3).map((e) => e.kind)).toEqual(['SEND', 'RESEND', 'FALLBACK']);
    }
    const tos = [...dead, ...alive];
    const extra = extraPins(tos.map((to, i) => ({ to, timeline: results[i]!.timeline })));
    reportFigures('delivery-delayed', { flows: tos.length, reportLatencyMs: 4000, extraPins: extra });
    expect(extra).toBe(0);
    emulator.faults.clear();
  });
});

describe('worker processes killed while reports arrive', () => {
  const taskQueue = uniqueTaskQueue('dlv-crash');

  const prepareWorker = (): Promise<WorkerProcess> =>
    prepareWorkerProcess(taskQueue, emulator.url, app, children);

  /** How long a typed code may go unanswered before the person types it again. */
  const RETYPE_AFTER_MS = 8_000;
  type Plan = 'FALLBACK' | 'DEAD' | 'DELIVERED' | 'DUPLICATE';
  const PLANS: [Plan, number, string | undefined, VerificationStatus][] = [
    ['FALLBACK', 16, '0006', 'VERIFIED'], // SMS undeliverable, voice delivered: the SMS code verifies
    ['DEAD', 12, '0021', 'UNDELIVERABLE'], // neither arrives
    ['DELIVERED', 16, undefined, 'VERIFIED'],
    ['DUPLICATE', 8, '0026', 'VERIFIED'],
  ];

  it('keeps every flow through 8 SIGKILLed workers: right end, none lost, no extra PIN', async () => {
    const fresh = numbers();
    // Only reports can move a flow to voice within the test: the timer is a minute away.
    const policy = {
      fallback: [{ channel: 'VOICE' as const, afterSeconds: 60 }],
      ttlSeconds: 90,
      retryBudgetSeconds: 60,
    };
    const specs = PLANS.flatMap(([plan, count, suffix, expected]) =>
      Array.from({ length: count }, () => ({ plan, expected, to: fresh(suffix) })),
    ).sort(() => Math.random() - 0.5);
    const signalledBefore = received('signalled');

    let current = await prepareWorker();
    current.go();
    const flows: { plan: Plan; expected: VerificationStatus; to: string; handle: Handle; typedAt: number }[] =
      [];
    const starting = pool(specs, 8, async (s) => {
      flows.push({ ...s, handle: await start(taskQueue, flowInput(app, s.to, { policy })), typedAt: 0 });
    });
    // The person types the code once the flow says it can be right for the plan: PENDING on
    // voice (FALLBACK: the call reads the flow's PIN), or PENDING with its message DELIVERED (the
    // report came through the ingress). PENDING means the send's answer is in: after a kill lost
    // one, a fresh PIN followed (activities/send-pin.ts) and only the newest message's verifies,
    // so the newest is the one typed. A query no worker answers yet is tried again next round. A
    // check a kill held past the check budget answers CHECK_UNAVAILABLE and costs nothing: the
    // person types the code again while the flow is still PENDING (a right code costs no attempt).
    let retyped = 0;
    let typing = true;
    const stateOf = (f: (typeof flows)[number]) =>
      Promise.race([f.handle.query(statusQuery).catch(() => undefined), sleep(3_000).then(() => undefined)]);
    const typist = (async () => {
      while (typing) {
        const waiting = flows.filter((x) => x.plan !== 'DEAD' && Date.now() - x.typedAt > RETYPE_AFTER_MS);
        const states = await Promise.all(waiting.map(stateOf));
        for (const [i, f] of waiting.entries()) {
          const s = states[i];
          if (s?.status !== 'PENDING') continue;
          const newest = (channel: string) =>
            emulator.inbox.messages(f.to).find((m) => m.channel === channel);
          const code =
            f.plan === 'FALLBACK'
              ? s.channel === 'VOICE' && newest('VOICE')?.pin
              : s.delivery?.status === 'DELIVERED' && newest('SMS')?.pin;
          if (!code) continue;
          if (f.typedAt > 0) retyped += 1;
          f.typedAt = Date.now();
          // The flow may have ended since its state was read (an earlier code verified): fine.
          await f.handle.signal(submitCodeSignal, code).catch(() => undefined);
        }
        await sleep(200);
      }
    })();

    const began = Date.now();
    let kills = 0;
    const spares: Promise<WorkerProcess>[] = [];
    for (; kills < 8; kills++) {
      while (spares.length < Math.min(2, 8 - kills)) spares.push(prepareWorker());
      await sleep(randomInt(500, 2_500));
      await killNow(current.proc);
      current = await spares.shift()!;
      current.go();
    }
    await starting;
    const killPhaseMs = Date.now() - began;
    const results = await Promise.all(flows.map((f) => resultOf(f.handle)));
    typing = false;
    await typist;
    await killNow(current.proc);
    await emulator.reports.idle();

    const wrong: string[] = [];
    let answersLost = 0;
    let sendsGivenUp = 0;
    flows.forEach((f, i) => {
      const r = results[i]!;
      // A lost send answer leaves a message whose reports the flow cannot match: it may have
      // arrived, so a flow whose every other message failed waits for its expiry instead.
      const lost = r.timeline.some((e) => e.kind === 'SEND' && (e.lostMessages ?? 0) > 0);
      // Kills that lost three answers of one send: it stops, FAILED, rather than text a fourth PIN.
      const gaveUp = r.timeline.some((e) => e.kind === 'SEND' && e.infobipStatus === 'ANSWERS_LOST');
      if (lost) answersLost += 1;
      if (gaveUp) sendsGivenUp += 1;
      const expected = gaveUp ? 'FAILED' : f.plan === 'DEAD' && lost ? 'EXPIRED' : f.expected;
      if (r.status !== expected)
        wrong.push(
          `${f.plan} ${f.handle.workflowId}: ${r.status} (${r.reason ?? ''}; ${r.timeline.map((e) => (e.kind === 'CHECK' ? `CHECK ${e.outcome}` : e.kind)).join(' ')})`,
        );
      const channels = emulator.inbox.messages(f.to).map((m) => m.channel);
      const voices = channels.filter((c) => c === 'VOICE').length;
      // A voice resend whose answer a kill lost is made again: the same PIN twice (counted by
      // extraPins below), so at least one call where the plan falls back, none elsewhere.
      const wantVoice = !gaveUp && (f.plan === 'FALLBACK' || f.plan === 'DEAD');
      if ((wantVoice ? voices < 1 : voices > 0) || channels.length - voices < 1)
        wrong.push(`${f.plan} ${f.to}: messages ${channels.join()}`);
    });
    const extra = extraPins(flows.map((f, i) => ({ to: f.to, timeline: results[i]!.timeline })));
    const pushes = emulator.reports.pushes().filter((p) => flows.some((f) => f.to.slice(1) === p.to));
    const pushFailed = pushes.filter((p) => p.state !== 'DELIVERED').length;
    reportFigures('delivery-worker-kills', {
      killsSurvived: kills,
      killPhaseMs,
      flowsStarted: specs.length,
      flowsChecked: results.length,
      flowsLost: specs.length - results.length,
      reportsPushed: pushes.length,
      reportsNotTaken: pushFailed,
      reportsSignalled: received('signalled') - signalledBefore,
      sendAnswersLost: answersLost,
      sendsGivenUp,
      codesRetyped: retyped,
      extraPins: extra,
    });
    expect(wrong).toEqual([]);
    expect(results).toHaveLength(specs.length);
    expect(extra).toBe(0);
    expect(pushFailed).toBe(0);
  }, 300_000);
});
