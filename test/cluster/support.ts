/**
 * Shared pieces of the cluster suite: a cluster on free ports, the applications its flows use,
 * a caller of the HTTP API that rides out outages the way a careful client does (retrying
 * 5xx and connection errors on both instances), people who type codes and cancel, and the
 * checks every scenario ends with: no flow lost, none in the wrong state, no PIN its timeline
 * does not account for, and timers that came due during an outage fired after it.
 */
import { randomInt } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { inject } from 'vitest';
import {
  findFreeClusterPorts,
  startCluster,
  type Cluster,
  type ClusterOptions,
} from '../../dev/cluster/cluster';
import { createDataConverter } from '../../codec/data-converter';
import type { ApplicationDeclaration } from '../../config/types';
import type { VerificationResult, VerificationStatus } from '../../domain/types';
import { messagesAccountedFor, pool, waitFor as chaosWaitFor } from '../chaos/support';
import { stackProcessEnv } from '../harness/processes';
import { testApplication } from '../harness/stack';

/** Expiry and fallback timers of the flows an outage is aimed at, seconds. */
export const TIMER_S = 25;

/** The applications of the suite's cluster: one per kind of ending a flow is driven to. */
export function clusterApplications(): ApplicationDeclaration[] {
  const app = (name: string, policy: Partial<ApplicationDeclaration['policy']>) => {
    const a = testApplication(name);
    a.infobip = { ...a.infobip, verifyPinLimit: '1000/1s', sendPinPerPhoneNumberLimit: '100/1d' };
    a.policy = {
      ...a.policy,
      lookup: 'ADVISORY',
      ttlSeconds: 600,
      maxAttempts: 5,
      resendCooldownSeconds: 30,
      ...policy,
    };
    return a;
  };
  return [
    app('verify', {}),
    app('expire', { ttlSeconds: TIMER_S }),
    app('fallback', { fallback: [{ channel: 'VOICE', afterSeconds: TIMER_S }] }),
    // Lockouts off: the audit waits for each flow's result, and a lockout keeps a LOCKED flow
    // open (its own suites prove lockouts: test/chaos/lockout.test.ts, test/guard-lockout.test.ts).
    { ...app('lock', { maxAttempts: 3 }), guard: { lockout: { seconds: 0 } } },
  ];
}

/** A free block of ports for a whole cluster (see `findFreeClusterPorts`). */
export const freeClusterPorts = findFreeClusterPorts;

/** Writes the applications file the workers and APIs load. */
export function writeApplications(dir: string, applications: ApplicationDeclaration[]): string {
  const file = path.join(dir, 'otpflow.config.json');
  writeFileSync(file, JSON.stringify({ applications }, null, 2));
  return file;
}

/** A cluster of this suite: a fresh data folder, free ports, its own applications file. */
export async function startTestCluster(
  over: Partial<ClusterOptions> & { workers: number; apis: number },
): Promise<{ cluster: Cluster; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-cluster-'));
  // PostgreSQL runs as the postgres user when we are root: it must be able to enter the folder.
  chmodSync(dir, 0o755);
  const configFile = writeApplications(dir, clusterApplications());
  const env = stackProcessEnv({ OTPFLOW_CONFIG: configFile, OTPFLOW_TASK_QUEUE: undefined });
  try {
    const cluster = await startCluster({
      dataDir: path.join(dir, 'data'),
      ...(await freeClusterPorts(over.workers, over.apis)),
      uiPort: 0,
      encryption: true,
      binaries: inject('clusterBinaries'),
      env,
      log: (m) => console.error(`[cluster] ${m}`),
      ...over,
    });
    return { cluster, dir };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A Temporal client that reads the cluster's (encrypted) workflow results, as an operator would. */
export async function operatorClient(cluster: Cluster): Promise<Client> {
  return new Client({
    connection: await Connection.connect({ address: cluster.urls.temporalAddress }),
    namespace: cluster.namespace,
    dataConverter: createDataConverter(cluster.config),
  });
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One HTTP call to an API instance. */
export async function callApi(
  cluster: Cluster,
  i: number,
  method: string,
  p: string,
  body?: unknown,
): Promise<ApiAnswer> {
  const res = await fetch(`${cluster.urls.apis[i % cluster.urls.apis.length]}${p}`, {
    method,
    headers: {
      Authorization: `Bearer ${cluster.apiKey}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * A call that rides out outages like a careful client: 5xx answers and connection errors are
 * retried (on the other instance next) until an answer below 500 or `deadlineMs` passes.
 */
export async function callApiPatiently(
  cluster: Cluster,
  method: string,
  p: string,
  body?: unknown,
  deadlineMs = 180_000,
): Promise<ApiAnswer & { retries: number }> {
  const deadline = Date.now() + deadlineMs;
  for (let retries = 0; ; retries++) {
    const answer = await callApi(cluster, retries, method, p, body).catch((err: unknown) => ({
      status: 599,
      body: { error: String(err) },
    }));
    if (answer.status < 500) return { ...answer, retries };
    if (Date.now() > deadline)
      throw new Error(
        `${method} ${p}: still ${answer.status} after ${retries} retries: ${JSON.stringify(answer.body)}`,
      );
    await sleep(500);
  }
}

/** What a flow is driven to, by the application it starts on. */
export type Plan = 'VERIFY' | 'CANCEL' | 'EXPIRE' | 'FALLBACK' | 'LOCK';
const APP: Record<Plan, string> = {
  VERIFY: 'verify',
  CANCEL: 'verify',
  EXPIRE: 'expire',
  FALLBACK: 'fallback',
  LOCK: 'lock',
};
const EXPECTED: Record<Plan, VerificationStatus> = {
  VERIFY: 'VERIFIED',
  CANCEL: 'CANCELLED',
  EXPIRE: 'EXPIRED',
  FALLBACK: 'VERIFIED',
  LOCK: 'LOCKED',
};

/** A flow some client started and got an answer for. */
export interface Flow {
  plan: Plan;
  to: string;
  id: string;
  /** Retries the start needed (an outage). */
  startRetries: number;
}

const used = new Set<string>();
/** A number no other flow of this run used, from `draw`. */
function unused(draw: () => string): string {
  for (;;) {
    const n = draw();
    if (!used.has(n)) {
      used.add(n);
      return n;
    }
  }
}

/** A Swiss mobile number no other flow of this run used (never an emulator test suffix). */
export const freshNumber = (): string =>
  unused(() => `+4179${randomInt(100, 1000)}${randomInt(1010, 10000)}`);

/**
 * A number whose SMS gets no delivery report (the emulator's `…0025`): a DELIVERED report ends a
 * flow's fallback plan, and the fallback flows here prove their timer fires across outages.
 */
export const freshUnreportedNumber = (): string => unused(() => `+4179${randomInt(100, 1000)}0025`);

/**
 * Starts a flow through the API (patiently); its answer must say the PIN went out or is on its
 * way: a start during an outage answers after the client's start wait with the flow still in
 * LOOKUP or SENDING (the audit then finds where it ended).
 */
export async function startFlow(
  cluster: Cluster,
  plan: Plan,
  to = plan === 'FALLBACK' ? freshUnreportedNumber() : freshNumber(),
): Promise<Flow> {
  const r = await callApiPatiently(cluster, 'POST', '/v1/verifications', { application: APP[plan], to });
  if (r.status !== 201 && r.status !== 200)
    throw new Error(`start ${plan} ${to}: ${r.status} ${JSON.stringify(r.body)}`);
  if (!['LOOKUP', 'SENDING', 'PENDING'].includes(String(r.body.status)))
    throw new Error(`start ${plan} ${to}: ${JSON.stringify(r.body)}`);
  return { plan, to, id: String(r.body.id), startRetries: r.retries };
}

export { pool };

/** Waits until `fn` answers a defined value (no timing is asserted: a slow machine only waits longer). */
export const waitFor = <T>(
  fn: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 180_000,
) => chaosWaitFor(fn, what, timeoutMs);

/** A well-formed code that is certainly not `pin`. */
const wrongCode = (pin: string) => pin.slice(0, -1) + String((Number(pin.at(-1)) + 1) % 10);

/**
 * Plays the person behind each flow through the API instances, alternating: types the newest
 * PIN (the voice one for a fallback), types wrong codes until locked, or cancels. Expiring flows
 * are left alone. Resolves when each person is done.
 */
export async function drive(cluster: Cluster, flows: Flow[]): Promise<void> {
  const inbox = (to: string, channel?: string) =>
    cluster.emulator!.inbox.messages(to).filter((m) => !channel || m.channel === channel);
  await pool(flows, 12, async (f) => {
    const path = `/v1/verifications/${f.id}`;
    if (f.plan === 'EXPIRE') return;
    if (f.plan === 'CANCEL') {
      const r = await callApiPatiently(cluster, 'POST', `${path}/cancel`);
      if (r.status !== 200 && !(r.status === 409 && r.body.verificationStatus === 'CANCELLED'))
        throw new Error(`cancel ${f.id}: ${r.status} ${JSON.stringify(r.body)}`);
      return;
    }
    if (f.plan === 'LOCK') {
      const pin = (await waitFor(() => inbox(f.to)[0], `a PIN for ${f.id}`)).pin;
      for (;;) {
        const r = await callApiPatiently(cluster, 'POST', `${path}/check`, { code: wrongCode(pin) });
        if (r.body.status === 'LOCKED' || r.body.verificationStatus === 'LOCKED') return;
        if (r.status !== 200)
          throw new Error(`wrong code for ${f.id}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
    const channel = f.plan === 'FALLBACK' ? 'VOICE' : undefined;
    const pin = (await waitFor(() => inbox(f.to, channel)[0], `a ${channel ?? ''} PIN for ${f.id}`)).pin;
    const r = await callApiPatiently(cluster, 'POST', `${path}/check`, { code: pin });
    const verified = r.body.status === 'VERIFIED' || r.body.verificationStatus === 'VERIFIED';
    if (!verified) throw new Error(`right code for ${f.id}: ${r.status} ${JSON.stringify(r.body)}`);
  });
}

/** When an outage began and ended (ms since the epoch). */
export interface Outage {
  downAt: number;
  upAt: number;
}

/** What the checks after a scenario found. */
export interface Audit {
  flowsChecked: number;
  flowsLost: number;
  wrongState: number;
  pinsDelivered: number;
  /** PINs that reached a person although the send's answer was lost (recorded in the timeline). */
  pinsOfLostAnswers: number;
  extraPins: number;
  /** Expiry and fallback timers that came due during the outage and fired after it. */
  timersFiredAfter: number;
  problems: string[];
}

/**
 * The checks every scenario ends with. Each flow's workflow result (read by an operator's
 * client) must be the state its plan calls for; each destination's inbox may hold no PIN the
 * timeline does not account for; with an outage, each expiry or fallback timer that came due
 * during it must have fired after it (a timer due outside the outage is only counted as checked).
 */
export async function audit(
  client: Client,
  cluster: Cluster,
  flows: Flow[],
  outage?: Outage,
): Promise<Audit> {
  const a: Audit = {
    flowsChecked: 0,
    flowsLost: 0,
    wrongState: 0,
    pinsDelivered: 0,
    pinsOfLostAnswers: 0,
    extraPins: 0,
    timersFiredAfter: 0,
    problems: [],
  };
  await pool(flows, 16, async (f) => {
    let result: VerificationResult;
    try {
      const handle: WorkflowHandle = client.workflow.getHandle(f.id);
      result = (await handle.result()) as VerificationResult;
    } catch (err) {
      a.flowsLost++;
      a.problems.push(`${f.plan} ${f.id}: no result (${(err as Error).message})`);
      return;
    }
    a.flowsChecked++;
    const expected = EXPECTED[f.plan];
    if (result.status !== expected || (f.plan === 'FALLBACK' && result.channel !== 'VOICE')) {
      a.wrongState++;
      a.problems.push(`${f.plan} ${f.id}: ${result.status}/${result.channel}, expected ${expected}`);
    }
    const pins = new Set(cluster.emulator!.inbox.messages(f.to).map((m) => m.pin)).size;
    const { max } = messagesAccountedFor(result.timeline);
    a.pinsDelivered += pins;
    for (const e of result.timeline) {
      if (e.kind !== 'SEND') continue;
      a.pinsOfLostAnswers += e.lostMessages ?? (e.recovered === 'SENT_BEFORE_PIN_UNKNOWN' ? 1 : 0);
    }
    if (pins > max) {
      a.extraPins += pins - max;
      a.problems.push(`${f.plan} ${f.id}: ${pins} PINs, its timeline accounts for ${max}`);
    }
    if (!outage || (f.plan !== 'EXPIRE' && f.plan !== 'FALLBACK')) return;
    const sent = result.timeline.find((e) => e.kind === 'SEND');
    const fired = result.timeline.find((e) =>
      f.plan === 'EXPIRE' ? e.kind === 'STATUS' : e.kind === 'FALLBACK',
    );
    if (!sent || !fired) {
      a.problems.push(`${f.plan} ${f.id}: no ${sent ? 'timer entry' : 'SEND'} in its timeline`);
      return;
    }
    const due = Date.parse(sent.at) + TIMER_S * 1000;
    if (due < outage.downAt || due > outage.upAt) return;
    // Workflow time is the time its task started: a timer that fired after the outage says so.
    if (Date.parse(fired.at) >= outage.upAt - 1_000) a.timersFiredAfter++;
    else
      a.problems.push(
        `${f.plan} ${f.id}: timer due ${new Date(due).toISOString()} fired at ${fired.at}, during the outage`,
      );
  });
  return a;
}

/** Prometheus counter total of `name` (all label sets) at `url`; 0 when absent. */
export async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop());
  }
  return sum;
}
