/**
 * `npm run bench`: what durability costs. Starts its own headless dev server, the Infobip
 * emulator and worker processes, then measures, in one run and on one server:
 *   1. happy-path verifications against a minimal baseline workflow doing the same three
 *      HTTP calls (same activity kinds) and one Update, and against that baseline plus
 *      the state otpflow keeps for operators (the ceiling), in alternating rounds;
 *   2. where each check's round trip goes, split by its history's event times;
 *   3. variants that change one thing each (activity kinds, eager activity dispatch), and
 *      with --pieces the ceiling without each part of the state it keeps;
 *   4. history sizes (happy path, baseline, longest path);
 *   5. 10,000 verifications pending at once: worker RSS/CPU, then expiry lateness.
 *
 * Flags: --quick (sanity run), --json (print the report as JSON), --flows N (happy-path flows
 * per target), --concurrency C, --pending N (0 skips), --fill-budget S (seconds to spend starting
 * pending flows), --no-variants, --poller-variants (three more otpflow variants: defaults,
 * fewer and autoscaling pollers), --pieces (what each part of the ceiling costs), --server
 * dev|cluster (the CLI's dev server on SQLite, the default, or the Temporal server on PostgreSQL
 * as `otpflow cluster` runs it), --out FILE
 * (also write the JSON report there; the dev server prints a banner on stdout, so FILE is the
 * clean copy).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { BaselineInput } from './baseline-workflow';
import {
  allCeilingParts,
  baselineTarget,
  ceilingTarget,
  type CeilingParts,
  otpflowTarget,
  runFlows,
  type FlowSamples,
  type FlowTarget,
} from './driver';
import { checkBreakdown, medianSegments, type CheckSegments } from './breakdown';
import { happyPathHistory, longestPathHistory } from './history';
import { describeMachine, ownCpuSeconds } from './machine';
import { runPending } from './pending';
import { checkTargets, formatReport, summarise, type BenchReport, type FlowFigures } from './report';
import { BENCH_API_KEY, startBenchStack, type BenchServerKind, type BenchStack } from './stack';
import type { TunableWorkerOptions } from './worker-child';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    flows: { type: 'string' },
    concurrency: { type: 'string' },
    pending: { type: 'string' },
    'no-variants': { type: 'boolean', default: false },
    'poller-variants': { type: 'boolean', default: false },
    pieces: { type: 'boolean', default: false },
    server: { type: 'string', default: 'dev' },
    'fill-budget': { type: 'string' },
    cache: { type: 'string' },
    heap: { type: 'string' },
    out: { type: 'string' },
  },
});
/**
 * Worker settings of every worker in the run (otpflow and baseline alike): SDK defaults, but
 * for the memory cap below. No option tried beat the defaults on throughput or latency here
 * (eager activity dispatch and local activities already help; see BENCHMARKS.md).
 */
export const WORKER_SETTINGS: TunableWorkerOptions = {};
if (args.cache) WORKER_SETTINGS.maxCachedWorkflows = Number(args.cache);
/**
 * V8 heap limit of every worker process, MiB (`--heap 0` for Node's default). Why: with Node's
 * default limit (~4 GiB here) the SDK sizes the workflow cache at 2,310 and V8 collects
 * lazily, so ~9,500 pending verifications took the worker to 1.7 GB RSS; at 384 MiB the SDK
 * computes a 135-workflow cache and RSS stayed at 382 MiB with 6,600 pending, with expiry
 * lateness p99 1.8 s (evicted flows replay ~20 events when their timer fires).
 */
export const WORKER_HEAP_MIB: number | undefined = Number(args.heap ?? 384) || undefined;

if (args.server !== 'dev' && args.server !== 'cluster') {
  console.error(`--server must be dev or cluster, got "${args.server}"`);
  process.exit(2);
}
/** `dev`: the CLI's dev server on SQLite; `cluster`: the Temporal server on PostgreSQL (`otpflow cluster`). */
const serverKind: BenchServerKind = args.server;

const quick = args.quick === true;
// Rounds of ~100 flows (3–4 s each here): with 4 rounds of 75 the throughput ratio of three
// back-to-back runs ranged 0.70–1.19, one stalled flow or a neighbour's burst moving a round.
const flows = Number(args.flows ?? (quick ? 60 : 800));
const concurrency = Number(args.concurrency ?? 20);
const pendingFlows = Number(args.pending ?? (quick ? 1000 : 10_000));
const ROUNDS = quick ? 4 : 8;
/** Flows per target and round whose check is split by its history (`breakdown.ts`). */
const BREAKDOWN_FLOWS = quick ? 20 : 60;
const WARMUP = quick ? 10 : 30;
const log = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

/**
 * Activity kinds of otpflow's happy path, which the baseline copies: lookup local, send and
 * verify regular (verify became a regular activity in 987b8c3 so a lost workflow task cannot
 * re-run it and spend an Infobip attempt). Update this when `workflows/activity-options.ts` changes.
 */
const OTPFLOW_KINDS: BaselineInput['kinds'] = 'LRR';

let queues = 0;
async function spawnWorker(
  stack: BenchStack,
  kind: 'otpflow' | 'baseline',
  options: TunableWorkerOptions,
): Promise<WorkerProcess> {
  return startWorkerProcess({
    ...(WORKER_HEAP_MIB ? { heapMiB: WORKER_HEAP_MIB } : {}),
    kind,
    address: stack.env.address,
    namespace: stack.env.namespace ?? 'default',
    taskQueue: `bench-${kind}-${++queues}`,
    bundlePath: stack.bundles[kind],
    emulatorUrl: stack.emulator.url,
    apiKey: BENCH_API_KEY,
    applications: [stack.app],
    options,
  });
}

const describeOptions = (o: TunableWorkerOptions) =>
  [
    ...(WORKER_HEAP_MIB ? [`--max-old-space-size=${WORKER_HEAP_MIB}`] : []),
    ...Object.entries(o).map(([k, v]) => `${k}=${String(v)}`),
  ].join(', ') || 'SDK defaults';

/**
 * Runs `flows` flows of each target in alternating rounds, after a warm-up of each. Each round
 * records the CPU time its worker process (`workers[i]`), the dev server and this process (the
 * client, the emulator, the inbox follower) spent meanwhile: the machine is CPU-bound at this
 * concurrency, so these say where a target's extra time per flow goes.
 */
async function alternate(
  stack: BenchStack,
  targets: FlowTarget[],
  n: number,
  workers: WorkerProcess[],
): Promise<FlowSamples[][]> {
  for (const t of targets) await runFlows(t, stack.inbox, Math.min(WARMUP, n), concurrency);
  const rounds: FlowSamples[][] = targets.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, t] of targets.entries()) {
      const before = workers[i]?.sample();
      const serverBefore = stack.serverCpuSeconds();
      const clientBefore = ownCpuSeconds();
      const s = await runFlows(t, stack.inbox, Math.ceil(n / ROUNDS), concurrency);
      s.clientCpuMs = (ownCpuSeconds() - clientBefore) * 1000;
      const serverAfter = stack.serverCpuSeconds();
      const after = workers[i]?.sample();
      if (before && after) s.workerCpuMs = (after.cpuSeconds - before.cpuSeconds) * 1000;
      if (serverBefore !== undefined && serverAfter !== undefined)
        s.serverCpuMs = (serverAfter - serverBefore) * 1000;
      log(
        `${t.name} round ${r + 1}: ${((s.flows / s.wallMs) * 1000).toFixed(1)}/s, ${s.failures.length} failed`,
      );
      rounds[i]?.push(s);
    }
  }
  return rounds;
}

/** One variant: what runs, and with which worker settings. */
interface VariantSpec {
  kind: 'otpflow' | 'baseline';
  change: string;
  options: TunableWorkerOptions;
  /** The baseline's activity kinds. @default OTPFLOW_KINDS */
  kinds?: BaselineInput['kinds'];
  /** Run the baseline as a ceiling with these parts of otpflow's operator state. */
  ceiling?: CeilingParts;
}

/**
 * Variants, each on a fresh worker with `n` flows (half those of a target by default). Several
 * given together run in rounds alternating between them (like the main comparison), so load
 * drift cannot favour one.
 */
async function runVariants(
  stack: BenchStack,
  specs: VariantSpec[],
  n = Math.ceil(flows / 2),
): Promise<FlowFigures[]> {
  const workers: WorkerProcess[] = [];
  try {
    for (const v of specs) workers.push(await spawnWorker(stack, v.kind, v.options));
    const targets = specs.map((v, i) => {
      const queue = workers[i]?.taskQueue ?? '';
      const kinds = v.kinds ?? OTPFLOW_KINDS;
      if (v.kind === 'otpflow') return otpflowTarget(stack, queue);
      return v.ceiling ? ceilingTarget(stack, queue, kinds, v.ceiling) : baselineTarget(stack, queue, kinds);
    });
    const rounds = await alternate(stack, targets, n, workers);
    return specs.map((v, i) => {
      const f = summarise(v.change, rounds[i] ?? []);
      log(
        `variant ${targets[i]?.name} (${v.change}): ${f.perSecond.toFixed(1)}/s, check p50 ${f.check.p50} ms`,
      );
      return f;
    });
  } finally {
    for (const w of workers) await w.stop();
  }
}

async function main(): Promise<void> {
  const began = Date.now();
  const stack = await startBenchStack(log, serverKind);
  try {
    log('starting the otpflow and baseline workers');
    const otpWorker = await spawnWorker(stack, 'otpflow', WORKER_SETTINGS);
    const baseWorker = await spawnWorker(stack, 'baseline', WORKER_SETTINGS);
    const ceilingWorker = await spawnWorker(stack, 'baseline', WORKER_SETTINGS);
    const otp = otpflowTarget(stack, otpWorker.taskQueue);
    const base = baselineTarget(stack, baseWorker.taskQueue, OTPFLOW_KINDS);
    // The ceiling: the baseline plus only what otpflow keeps for operators (see ceilingTarget).
    // No workflow code keeping that state can beat it, so otpflow / ceiling is what otpflow's
    // own code costs.
    const ceilingFlows = ceilingTarget(stack, ceilingWorker.taskQueue, OTPFLOW_KINDS);
    log(`happy path: ${flows} flows each at concurrency ${concurrency}, ${ROUNDS} alternating rounds`);
    const [otpRounds = [], baseRounds = [], ceilingRounds = []] = await alternate(
      stack,
      [otp, base, ceilingFlows],
      flows,
      [otpWorker, baseWorker, ceilingWorker],
    );
    await ceilingWorker.stop();
    const settings = describeOptions(WORKER_SETTINGS);
    const otpflow = summarise(settings, otpRounds);
    const baseline = summarise(settings, baseRounds);
    const ceiling = summarise(settings, ceilingRounds);

    log('check breakdown');
    const segments: CheckSegments[][] = [[], []];
    for (let r = 0; r < 2; r++) {
      for (const [i, t] of [otp, base].entries())
        segments[i]?.push(...(await checkBreakdown(t, stack.inbox, BREAKDOWN_FLOWS, concurrency)));
    }
    const breakdown = {
      otpflow: medianSegments(segments[0] ?? []),
      baseline: medianSegments(segments[1] ?? []),
      flows: 2 * BREAKDOWN_FLOWS,
    };

    log('history sizes');
    const history = {
      happyPath: await happyPathHistory(stack, otp),
      baseline: await happyPathHistory(stack, base),
      longestPath: await longestPathHistory(stack, otpWorker.taskQueue),
    };
    await otpWorker.stop();
    await baseWorker.stop();

    const variants: FlowFigures[] = [];
    if (!args['no-variants']) {
      log('variants');
      const one: VariantSpec[] = [
        {
          kind: 'baseline',
          kinds: 'LRL',
          change: 'verify local (otpflow before 987b8c3)',
          options: WORKER_SETTINGS,
        },
        { kind: 'baseline', kinds: 'RRR', change: 'lookup regular too', options: WORKER_SETTINGS },
        {
          kind: 'otpflow',
          change: 'no eager activity dispatch (maxEagerActivityReservationsPerWorkflowTask=0)',
          options: { ...WORKER_SETTINGS, maxEagerActivityReservationsPerWorkflowTask: 0 },
        },
      ];
      for (const v of one) variants.push(...(await runVariants(stack, [v])));
    }
    if (args['poller-variants']) {
      // Opt-in (≈ 1 min more), in alternating rounds: the SDK's default is 10 workflow and 10
      // activity task pollers.
      log('poller variants');
      variants.push(
        ...(await runVariants(stack, [
          {
            kind: 'otpflow',
            change: 'none: SDK defaults (control for the two below, rounds alternating with them)',
            options: WORKER_SETTINGS,
          },
          {
            kind: 'otpflow',
            change:
              'two pollers per task kind (maxConcurrentWorkflowTaskPolls=2, maxConcurrentActivityTaskPolls=2)',
            options: {
              ...WORKER_SETTINGS,
              maxConcurrentWorkflowTaskPolls: 2,
              maxConcurrentActivityTaskPolls: 2,
            },
          },
          {
            kind: 'otpflow',
            change: 'autoscaling pollers (workflow and activity PollerBehavior autoscaling)',
            options: {
              ...WORKER_SETTINGS,
              workflowTaskPollerBehavior: { type: 'autoscaling' },
              activityTaskPollerBehavior: { type: 'autoscaling' },
            },
          },
        ])),
      );
    }

    let pieces: FlowFigures[] | undefined;
    if (args.pieces) {
      // Opt-in (≈ 3 min more): what dropping each part of the state otpflow keeps for operators
      // would save, the ceiling as control and the baseline last, in alternating rounds.
      log('the ceiling, piece by piece');
      const all = allCeilingParts(stack);
      const without = (change: string, parts: CeilingParts): VariantSpec => ({
        kind: 'baseline',
        change,
        options: WORKER_SETTINGS,
        ceiling: parts,
      });
      pieces = await runVariants(
        stack,
        [
          without('none: the ceiling (control)', all),
          without('without the PENDING upsert', { ...all, state: { ...all.state, pendingUpsert: false } }),
          without('without the terminal upsert', { ...all, state: { ...all.state, terminalUpsert: false } }),
          without('without the expiry timer', { ...all, state: { ...all.state, ttlSeconds: 0 } }),
          without("without the start's metadata", { ...all, startMetadata: false }),
          { kind: 'baseline', change: 'without any of it: the baseline', options: WORKER_SETTINGS },
        ],
        // All of a target's flows: the differences sought are a few per cent of CPU per flow.
        flows,
      );
    }

    let pending: BenchReport['pending'];
    if (pendingFlows > 0) {
      const worker = await spawnWorker(stack, 'otpflow', WORKER_SETTINGS);
      try {
        log(`pending at scale: ${pendingFlows} flows (worker cache ${worker.maxCachedWorkflows} workflows)`);
        const figures = await runPending(stack, worker, {
          flows: pendingFlows,
          probeFlows: Math.min(pendingFlows, quick ? 300 : 500),
          waitSeconds: quick ? 10 : 20,
          fillBudgetSeconds: Number(args['fill-budget'] ?? (quick ? 120 : 270)),
          startConcurrency: 100,
          log,
        });
        pending = { ...figures, workerCache: worker.maxCachedWorkflows };
      } finally {
        await worker.stop();
      }
    }

    const partial = {
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      startedAt: new Date(began).toISOString(),
      durationSeconds: (Date.now() - began) / 1000,
      machine: describeMachine(),
      server: stack.server,
      workerSettings: settings,
      otpflow,
      baseline,
      ceiling,
      ratios: {
        throughput: otpflow.perSecond / baseline.perSecond,
        steadyThroughput: otpflow.steadyPerSecond / baseline.steadyPerSecond,
        cpuThroughput: otpflow.perCpuSecond / baseline.perCpuSecond,
        checkP50: otpflow.check.p50 / baseline.check.p50,
        startToPinP50: otpflow.startToPin.p50 / baseline.startToPin.p50,
        ceilingThroughput: ceiling.perSecond / baseline.perSecond,
        ceilingSteadyThroughput: ceiling.steadyPerSecond / baseline.steadyPerSecond,
        ceilingCpuThroughput: ceiling.perCpuSecond / baseline.perCpuSecond,
        throughputOfCeiling: otpflow.perSecond / ceiling.perSecond,
        steadyThroughputOfCeiling: otpflow.steadyPerSecond / ceiling.steadyPerSecond,
        cpuThroughputOfCeiling: otpflow.perCpuSecond / ceiling.perCpuSecond,
      },
      variants,
      ...(pieces ? { pieces } : {}),
      breakdown,
      history,
      ...(pending ? { pending } : {}),
    };
    const report: BenchReport = { ...partial, targets: checkTargets(partial) };
    const json = JSON.stringify(report, null, 2);
    if (args.out) writeFileSync(args.out, `${json}\n`);
    console.log(args.json ? json : formatReport(report));
  } finally {
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
