/**
 * otpflow in its production topology under faults at every layer: PostgreSQL, the Temporal
 * server on it, 2 `otpflow worker` and 2 `otpflow api` processes (the emulator and the codec
 * endpoint in this process), every flow started and driven through the HTTP API. Scenarios run
 * in order on one cluster; after each: no flow lost, every flow in the state its inputs call
 * for, no PIN its timeline does not account for, and timers that came due during an outage
 * fired after it. Nothing is timed: on a slow machine the test only waits longer.
 */
import { rmSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster, ClusterPart } from '../../dev/cluster/cluster';
import type { TimelineEntry } from '../../domain/types';
import { reportFigures } from '../chaos/support';
import {
  audit,
  callApi,
  callApiPatiently,
  counter,
  drive,
  freshNumber,
  operatorClient,
  pool,
  startFlow,
  startTestCluster,
  TIMER_S,
  type Audit,
  type Flow,
  type Outage,
  type Plan,
} from './support';

let cluster: Cluster;
let dir: string;
let client: Client;
/** Parts that died without the test killing them. */
const unexpected: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ({ cluster, dir } = await startTestCluster({ workers: 2, apis: 2 }));
  void cluster.failure.then((m) => unexpected.push(m));
  client = await operatorClient(cluster);
});
afterAll(async () => {
  await client?.connection.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The checks after every scenario, and its figures line. */
function expectClean(
  name: string,
  flows: Flow[],
  a: Audit,
  extra: Record<string, number | string> = {},
): void {
  reportFigures(
    name,
    {
      flowsStarted: flows.length,
      flowsChecked: a.flowsChecked,
      flowsLost: a.flowsLost,
      wrongState: a.wrongState,
      pinsDelivered: a.pinsDelivered,
      pinsOfLostAnswers: a.pinsOfLostAnswers,
      extraPins: a.extraPins,
      startRetries: flows.reduce((n, f) => n + f.startRetries, 0),
      ...extra,
    },
    'cluster',
  );
  expect(a.problems).toEqual([]);
  expect(a.flowsChecked).toBe(flows.length);
  expect(a.flowsLost).toBe(0);
  expect(a.extraPins).toBe(0);
  expect(unexpected).toEqual([]);
}

/** `n` plans of each kind, shuffled. */
function mix(counts: Partial<Record<Plan, number>>): Plan[] {
  return (Object.entries(counts) as [Plan, number][])
    .flatMap(([plan, n]) => Array.from({ length: n }, () => plan))
    .sort(() => Math.random() - 0.5);
}

describe('the cluster: 2 workers and 2 API instances on PostgreSQL', () => {
  it('spreads flows over both workers: the metrics of each show work', async () => {
    const done = (url: string) => counter(url, 'temporal_workflow_task_execution_latency_count');
    const flows: Flow[] = [];
    // Batches until both workers have run workflow tasks (bounded: a worker left idle fails).
    while (flows.length < 200) {
      flows.push(...(await pool(Array.from({ length: 10 }), 10, () => startFlow(cluster, 'VERIFY'))));
      const work = await Promise.all(cluster.urls.metrics.map(done));
      if (work.every((n) => n > 0)) break;
    }
    await drive(cluster, flows);
    const a = await audit(client, cluster, flows);
    const tasks = await Promise.all(cluster.urls.metrics.map(done));
    const pins = await Promise.all(cluster.urls.metrics.map((u) => counter(u, 'otpflow_pins_sent')));
    expectClean('cluster-spread', flows, a, {
      workflowTasksPerWorker: tasks.join(' / '),
      pinsSentPerWorker: pins.join(' / '),
    });
    for (const n of tasks) expect(n).toBeGreaterThan(0);
    expect(pins.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(flows.length);
  });

  it('answers a start on one API instance and its checks on the other the same way', async () => {
    const flows: Flow[] = [];
    for (let i = 0; i < 6; i++) {
      const [a, b] = [i % 2, (i + 1) % 2];
      const to = freshNumber();
      const started = await callApi(cluster, a, 'POST', '/v1/verifications', { application: 'verify', to });
      expect(started.status).toBe(201);
      const id = String(started.body.id);
      flows.push({ plan: 'VERIFY', to, id, startRetries: 0 });
      // The same person through the other instance: the same verification, nothing sent.
      const again = await callApi(cluster, b, 'POST', '/v1/verifications', { application: 'verify', to });
      expect(again).toMatchObject({ status: 200, body: { id, created: false, status: 'PENDING' } });
      const viewA = await callApi(cluster, a, 'GET', `/v1/verifications/${id}`);
      const viewB = await callApi(cluster, b, 'GET', `/v1/verifications/${id}`);
      expect(viewB).toEqual(viewA);
      const pin = cluster.emulator!.inbox.messages(to)[0]!.pin;
      const wrong = pin === '000000' ? '111111' : '000000';
      expect(await callApi(cluster, b, 'POST', `/v1/verifications/${id}/check`, { code: wrong })).toEqual({
        status: 200,
        body: { status: 'PENDING', verified: false, attemptsRemaining: 4 },
      });
      expect((await callApi(cluster, a, 'GET', `/v1/verifications/${id}`)).body.attemptsRemaining).toBe(4);
      expect(await callApi(cluster, b, 'POST', `/v1/verifications/${id}/check`, { code: pin })).toEqual({
        status: 200,
        body: { status: 'VERIFIED', verified: true, attemptsRemaining: 4 },
      });
      const late = await callApi(cluster, a, 'POST', `/v1/verifications/${id}/check`, { code: pin });
      expect(late).toMatchObject({ status: 409, body: { verificationStatus: 'VERIFIED' } });
      const [endA, endB] = await Promise.all([
        callApi(cluster, a, 'GET', `/v1/verifications/${id}`),
        callApi(cluster, b, 'GET', `/v1/verifications/${id}`),
      ]);
      expect(endA.body.status).toBe('VERIFIED');
      expect(endB).toEqual(endA);
    }
    expectClean('cluster-two-apis', flows, await audit(client, cluster, flows), { crossInstanceChecks: 18 });
  });

  it('keeps every flow through SIGKILLed workers during a flood of starts', async () => {
    const plans = mix({ VERIFY: 30, CANCEL: 10, EXPIRE: 10, FALLBACK: 10, LOCK: 10 });
    const flows: Flow[] = [];
    let kills = 0;
    const killAndRestart = async (worker: ClusterPart) => {
      await worker.kill('SIGKILL');
      kills++;
      await sleep(1_000);
      await worker.start();
    };
    const killer = (async () => {
      await waitForCount(() => flows.length, 15);
      await killAndRestart(cluster.workers[0]!);
      await waitForCount(() => flows.length, 40);
      await killAndRestart(cluster.workers[1]!);
    })();
    await pool(plans, 8, async (plan) => void flows.push(await startFlow(cluster, plan)));
    await killer;
    await drive(cluster, flows);
    const a = await audit(client, cluster, flows);
    expectClean('cluster-worker-kill', flows, a, { workerKills: kills, workersRestarted: kills });
    expect(kills).toBe(2);
    expect(a.wrongState).toBe(0);
  });

  it('keeps flows, sends in flight and due timers through a SIGKILL of the Temporal server', async () => {
    const r = await outageScenario(
      async () => void (await cluster.temporal.kill('SIGKILL')),
      () => cluster.temporal.start(),
    );
    expectClean('cluster-server-kill', r.flows, r.audit, {
      downtimeMs: r.outage.upAt - r.outage.downAt,
      timersDueDuringOutage: r.audit.timersFiredAfter,
      startsDuringOutage: r.startsDuringOutage,
    });
    expect(r.audit.timersFiredAfter).toBeGreaterThan(0);
  });

  it('keeps flows, sends in flight and due timers through a PostgreSQL restart (fast shutdown)', async () => {
    const r = await outageScenario(
      () => cluster.postgres.stop(30_000),
      () => cluster.postgres.start(),
    );
    expectClean('cluster-postgres-restart', r.flows, r.audit, {
      downtimeMs: r.outage.upAt - r.outage.downAt,
      timersDueDuringOutage: r.audit.timersFiredAfter,
      startsDuringOutage: r.startsDuringOutage,
    });
    expect(r.audit.timersFiredAfter).toBeGreaterThan(0);
  });
});

async function waitForCount(n: () => number, atLeast: number): Promise<void> {
  while (n() < atLeast) await sleep(100);
}

/**
 * Flows pending, expiring and falling back, then an outage (`down`, `up`) aimed so that their
 * expiry and fallback timers come due while it lasts, with sends in flight when it begins (a
 * slow Infobip) and new starts arriving throughout (each retried until it is answered).
 */
async function outageScenario(
  down: () => Promise<void>,
  up: () => Promise<void>,
): Promise<{ flows: Flow[]; audit: Audit; outage: Outage; startsDuringOutage: number }> {
  const flows: Flow[] = [];
  flows.push(...(await pool(mix({ VERIFY: 6, CANCEL: 4 }), 8, (p) => startFlow(cluster, p))));
  const timed = await pool(mix({ EXPIRE: 8, FALLBACK: 8 }), 8, (p) => startFlow(cluster, p));
  flows.push(...timed);
  const dues = await Promise.all(
    timed.map(async (f) => {
      const view = await callApiPatiently(cluster, 'GET', `/v1/verifications/${f.id}`);
      const send = (view.body.timeline as TimelineEntry[]).find((e) => e.kind === 'SEND')!;
      return Date.parse(send.at) + TIMER_S * 1_000;
    }),
  );
  const earliest = Math.min(...dues);
  const latest = Math.max(...dues);
  // Sends in flight when the outage begins: Infobip answers slowly for these four.
  await sleep(Math.max(0, earliest - 3_500 - Date.now()));
  const slow = cluster.emulator!.faults.add({
    match: { method: 'POST', path: '/2fa/2/pin' },
    times: 4,
    action: { latencyMs: 3_000 },
  });
  const inFlight = Array.from({ length: 4 }, () => startFlow(cluster, 'VERIFY'));
  await sleep(Math.max(0, earliest - 1_000 - Date.now()));

  const downAt = Date.now();
  await down();
  // New starts keep arriving while it is down; each client retries until answered.
  const during: Promise<Flow>[] = [];
  const until = Math.max(downAt + 5_000, latest + 1_000);
  while (Date.now() < until) {
    during.push(startFlow(cluster, 'VERIFY'));
    await sleep(1_500);
  }
  await up();
  const upAt = Date.now();
  cluster.emulator!.faults.remove(slow.id);
  flows.push(...(await Promise.all(inFlight)), ...(await Promise.all(during)));
  await drive(cluster, flows);
  const outage = { downAt, upAt };
  return {
    flows,
    audit: await audit(client, cluster, flows, outage),
    outage,
    startsDuringOutage: during.length,
  };
}
