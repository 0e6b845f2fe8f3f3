/**
 * Pending at scale: many verifications waiting for a code at once. Reads the worker process's
 * memory and CPU while they wait. The last `probeFlows` of them get a short TTL; with all the
 * others still pending, the phase measures how late each of those expiries fired: the
 * workflow's close time (from the visibility list) against its `expiresAt` (the first send's
 * time in the result's timeline plus the TTL, exactly what the workflow computed). The bulk
 * keeps a one-hour TTL and goes away with the dev server. Starting stops at a time budget, so
 * a slow machine reports how many it reached instead of running for ever.
 */
import type { Client } from '@temporalio/client';
import type { VerificationResult } from '../domain/types';
import { nextNumber, otpflowInput, startVerification } from './driver';
import { cpuPercent, distribution, type Distribution } from './machine';
import type { BenchStack } from './stack';
import type { WorkerProcess } from './worker-process';

/** Figures of the pending phase. */
export interface PendingFigures {
  /** Flows asked for, and flows PENDING together when the worker was measured. */
  flows: number;
  pending: number;
  fillSeconds: number;
  /** Started flows whose PIN did not arrive within a minute: not counted as pending. */
  undelivered: number;
  /** Flows whose expiry was measured, and their TTL. */
  probeFlows: number;
  probeTtlSeconds: number;
  idleRssMiB: number;
  /** Worker RSS while all flows wait, and its peak over the whole phase. */
  waitingRssMiB: number;
  peakRssMiB: number;
  /** Worker CPU while they wait, % of one core. */
  waitingCpuPercent: number;
  waitSeconds: number;
  fillCpuPercent: number;
  expired: number;
  otherOutcomes: Record<string, number>;
  /** The worker's workflow cache size (`maxCachedWorkflows`, set or computed). */
  workerCache?: number;
  /** Close time − expiresAt of the probe flows, ms. */
  lateness: Distribution;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BULK_TTL_SECONDS = 3600;
const DELIVERY_TIMEOUT_MS = 60_000;

/**
 * Starts flows from `numbers` until done or `until`. Each of the `concurrency` lanes waits for
 * its flow's PIN before starting the next, so starts never run ahead of what the worker
 * sends (a backlog would only measure the server's queue).
 */
async function fill(
  stack: BenchStack,
  taskQueue: string,
  numbers: readonly string[],
  ttlSeconds: number,
  concurrency: number,
  until: number,
): Promise<{ ids: string[]; deliveredAt: number[]; undelivered: number }> {
  const ids: string[] = [];
  const deliveredAt: number[] = [];
  let undelivered = 0;
  let next = 0;
  const lane = async () => {
    while (next < numbers.length && Date.now() < until) {
      const to = numbers[next++] as string;
      const input = otpflowInput(stack, to, { ttlSeconds, fallback: [] });
      const handle = await startVerification(stack.env.client, taskQueue, input);
      ids.push(handle.workflowId);
      try {
        deliveredAt.push((await stack.inbox.next(to, DELIVERY_TIMEOUT_MS)).deliveredAt);
      } catch {
        undelivered++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, numbers.length) }, lane));
  return { ids, deliveredAt, undelivered };
}

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/** Runs the phase on `worker` (a fresh otpflow worker process). */
export async function runPending(
  stack: BenchStack,
  worker: WorkerProcess,
  opts: {
    flows: number;
    probeFlows: number;
    waitSeconds: number;
    fillBudgetSeconds: number;
    startConcurrency: number;
    log: (m: string) => void;
  },
): Promise<PendingFigures> {
  const client: Client = stack.env.client;
  const idle = worker.sample();
  let peakRss = idle?.hwmMiB ?? 0;
  const watch = setInterval(() => {
    peakRss = Math.max(peakRss, worker.sample()?.hwmMiB ?? 0);
  }, 1000);
  try {
    const t0 = Date.now();
    const bulkNumbers = Array.from({ length: opts.flows - opts.probeFlows }, () => nextNumber());
    const bulk = await fill(
      stack,
      worker.taskQueue,
      bulkNumbers,
      BULK_TTL_SECONDS,
      opts.startConcurrency,
      t0 + opts.fillBudgetSeconds * 1000,
    );
    const rate = bulk.ids.length / Math.max((Date.now() - t0) / 1000, 1);
    // Long enough for every probe flow to be PENDING, with the measuring window, before the first expires.
    const probeTtl = Math.ceil((opts.probeFlows / Math.max(rate, 1)) * 1.3 + opts.waitSeconds + 10);
    opts.log(
      `${bulk.ids.length} flows PENDING (${rate.toFixed(1)}/s); ${opts.probeFlows} more with TTL ${probeTtl} s`,
    );
    const probeNumbers = Array.from({ length: opts.probeFlows }, () => nextNumber());
    const probe = await fill(
      stack,
      worker.taskQueue,
      probeNumbers,
      probeTtl,
      opts.startConcurrency,
      Infinity,
    );
    const filled = Date.now();
    const fillEnd = worker.sample();
    const undelivered = bulk.undelivered + probe.undelivered;
    const pending = bulk.ids.length + probe.ids.length - undelivered;
    const firstExpiry = Math.min(...probe.deliveredAt) + probeTtl * 1000;
    opts.log(
      `${pending} flows PENDING after ${((filled - t0) / 1000).toFixed(1)} s; first probe expiry in ${((firstExpiry - filled) / 1000).toFixed(0)} s`,
    );

    // The waiting window: after the fill's last workflow tasks settle, before the first expiry.
    await sleep(Math.min(3000, Math.max(0, firstExpiry - Date.now() - 3000)));
    const waitMs = Math.max(0, Math.min(opts.waitSeconds * 1000, firstExpiry - Date.now() - 1000));
    const w0 = worker.sample();
    await sleep(waitMs);
    const w1 = worker.sample();

    // Every probe expiry, bounded: the last is due one TTL after the last probe delivery.
    const lastExpiry = Math.max(...probe.deliveredAt) + probeTtl * 1000;
    const deadline = lastExpiry + 120_000;
    const closedQuery = `TaskQueue = '${worker.taskQueue}' AND ExecutionStatus != 'Running'`;
    while (Date.now() < deadline) {
      await sleep(Math.max(1000, Math.min(5000, lastExpiry - Date.now())));
      if (Date.now() > lastExpiry && (await client.workflow.count(closedQuery)).count >= probe.ids.length)
        break;
    }
    const closeTimes = new Map<string, number>();
    for await (const wf of client.workflow.list({ query: closedQuery, pageSize: 1000 })) {
      if (wf.closeTime) closeTimes.set(wf.workflowId, wf.closeTime.getTime());
    }
    const lateness: number[] = [];
    const outcomes: Record<string, number> = {};
    await pool(probe.ids, 16, async (id) => {
      if (!closeTimes.has(id)) {
        outcomes.STILL_RUNNING = (outcomes.STILL_RUNNING ?? 0) + 1;
        return;
      }
      const result = (await client.workflow.getHandle(id).result()) as VerificationResult;
      outcomes[result.status] = (outcomes[result.status] ?? 0) + 1;
      const send = result.timeline.find((e) => e.kind === 'SEND');
      const closed = closeTimes.get(id);
      if (result.status === 'EXPIRED' && send && closed)
        lateness.push(closed - (Date.parse(send.at) + probeTtl * 1000));
    });
    const { EXPIRED = 0, ...otherOutcomes } = outcomes;
    return {
      flows: opts.flows,
      pending,
      undelivered,
      fillSeconds: (filled - t0) / 1000,
      probeFlows: probe.ids.length,
      probeTtlSeconds: probeTtl,
      idleRssMiB: idle?.rssMiB ?? NaN,
      waitingRssMiB: w1?.rssMiB ?? NaN,
      peakRssMiB: Math.max(peakRss, worker.sample()?.hwmMiB ?? 0),
      waitingCpuPercent: w0 && w1 ? cpuPercent(w0, w1) : NaN,
      waitSeconds: waitMs / 1000,
      fillCpuPercent: idle && fillEnd ? cpuPercent(idle, fillEnd) : NaN,
      expired: EXPIRED,
      otherOutcomes,
      lateness: distribution(lateness),
    };
  } finally {
    clearInterval(watch);
  }
}
