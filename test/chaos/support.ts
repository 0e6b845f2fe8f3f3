/**
 * Shared pieces of the chaos suite: a stack whose Infobip client has short timeouts (so
 * timeouts can be injected without waiting ten seconds), flows started by workflow type name,
 * the "how many messages may this timeline have caused" rule, and the figures each file
 * prints and saves for RELIABILITY.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { inject } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { ensureApplication } from '../../setup/applications';
import type { ApplicationDeclaration } from '../../config/types';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../emulator';
import { createInfobipClient, type InfobipClient, type InfobipClientOptions } from '../../infobip';
import { PROJECT_ROOT } from '../../scripts/temporal-cli';
import { workflowStartOptions } from '../../client/start-input';
import type {
  TimelineEntry,
  VerificationInput,
  VerificationPolicy,
  VerificationResult,
} from '../../domain/types';
import { maskDestination } from '../../domain/destination';
import { testApplication, testPolicy } from '../harness/stack';
import { startWorker, type RunningWorker } from '../harness/temporal';
import type { CrashWorkerConfig } from './crash-worker';

export const API_KEY = 'chaos-test-key-0123456789';
export const HASH_KEY = Buffer.from('chaos-test-hash-key-0123456789ab');
export const WORKFLOW_TYPE = 'verificationWorkflow';

/** Emulator stats keys of the operations the suite counts. */
export const OP = {
  lookup: 'POST /number/1/query',
  sendSms: 'POST /2fa/2/pin',
  sendVoice: 'POST /2fa/2/pin/voice',
  resendSms: 'POST /2fa/2/pin/{pinId}/resend',
  verify: 'POST /2fa/2/pin/{pinId}/verify',
  status: 'GET /2fa/2/applications/{appId}/verifications',
} as const;

export type Handle = WorkflowHandle;

/** An application for chaos tests: 6-digit numeric PINs, generous Infobip limits. */
export function chaosApplication(
  over: Partial<ApplicationDeclaration['policy']> = {},
  name?: string,
): ApplicationDeclaration {
  const app = testApplication(name ?? `chaos-${randomUUID().slice(0, 8)}`);
  app.infobip = { ...app.infobip, verifyPinLimit: '1000/1s', sendPinPerPhoneNumberLimit: '100/1d' };
  app.policy = { ...app.policy, ...over };
  return app;
}

/** A workflow input for `destination` on `app`, as the client library would build it. */
export function flowInput(
  app: ApplicationDeclaration,
  destination: string,
  over: Partial<Omit<VerificationInput, 'policy'>> & { policy?: Partial<VerificationPolicy> } = {},
): VerificationInput {
  const { policy, ...rest } = over;
  return {
    application: app.name,
    destination,
    channel: destination.includes('@') ? 'EMAIL' : 'SMS',
    destinationMasked: maskDestination(destination),
    destinationHash: createHmac('sha256', HASH_KEY).update(destination).digest('hex').slice(0, 32),
    ...rest,
    policy: testPolicy({ ...app.policy, pin: app.pin, ...policy }),
  };
}

/** Starts a verification by workflow type name (as the client library does). */
export async function startVerification(
  client: Client,
  taskQueue: string,
  input: VerificationInput,
  workflowId = `chaos-${randomUUID()}`,
): Promise<Handle> {
  return client.workflow.start(WORKFLOW_TYPE, workflowStartOptions(workflowId, taskQueue, input));
}

/** The workflow result of a closed flow. */
export async function resultOf(handle: Handle): Promise<VerificationResult> {
  return (await handle.result()) as VerificationResult;
}

/**
 * Messages a timeline accounts for: one per SEND that went out, plus one per earlier PIN of
 * that send whose answer was lost after Infobip delivered (`SENT_BEFORE_PIN_UNKNOWN`,
 * `lostMessages`, the documented minimum), one per RESEND. A failed send (`FAILED: …`)
 * accounts for none; one that gave up on lost answers (`ANSWERS_LOST`) for those it lost.
 */
export function messagesAccountedFor(timeline: TimelineEntry[]): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const e of timeline) {
    if (e.kind === 'SEND') {
      if (e.infobipStatus.startsWith('FAILED')) continue;
      const n =
        e.infobipStatus === 'ANSWERS_LOST'
          ? (e.lostMessages ?? 2)
          : 1 + (e.lostMessages ?? (e.recovered === 'SENT_BEFORE_PIN_UNKNOWN' ? 1 : 0));
      min += n;
      max += n;
    } else if (e.kind === 'RESEND') {
      min += 1;
      max += 1;
    }
  }
  return { min, max };
}

export interface ChaosStack {
  emulator: Emulator;
  infobip: InfobipClient;
  worker: RunningWorker;
  client: Client;
  taskQueue: string;
  start(input: VerificationInput, workflowId?: string): Promise<Handle>;
  /** Messages delivered to a destination, newest first. */
  inbox(destination: string): { channel: string; pin: string; pinId: string }[];
  requests(operation: string): number;
  close(): Promise<void>;
}

/**
 * The emulator, the applications set up in it, and an in-process worker whose Infobip client
 * gives up after `infobip.headersTimeoutMs` (default 1.5 s) so latency faults stay short.
 */
export async function startChaosStack(
  env: TestWorkflowEnvironment,
  options: {
    applications: ApplicationDeclaration[];
    emulator?: EmulatorOptions;
    infobip?: Partial<InfobipClientOptions>;
  },
): Promise<ChaosStack> {
  const emulator = await createEmulator({ apiKeys: [API_KEY], managementLimits: false, ...options.emulator });
  const infobip = createInfobipClient({
    baseUrl: emulator.url,
    apiKey: API_KEY,
    headersTimeoutMs: 1_500,
    ...options.infobip,
  });
  for (const app of options.applications) await ensureApplication(infobip, app, { dryRun: false });
  const worker = await startWorker(env, {
    activities: createActivities({ infobip, applications: options.applications, heartbeatIntervalMs: 200 }),
  });
  return {
    emulator,
    infobip,
    worker,
    client: env.client,
    taskQueue: worker.taskQueue,
    start: (input, workflowId) => startVerification(env.client, worker.taskQueue, input, workflowId),
    inbox: (destination) =>
      emulator.inbox.messages(destination).map((m) => ({ channel: m.channel, pin: m.pin, pinId: m.pinId })),
    requests: (operation) => emulator.stats.requests()[operation] ?? 0,
    async close() {
      await worker.shutdown();
      await emulator.close();
      await infobip.close();
    },
  };
}

/** Polls until `fn` answers a defined value. */
export async function waitFor<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(lanes);
  return out;
}

export const FIGURES_DIR = path.join(PROJECT_ROOT, 'test-results', 'chaos');

/**
 * Prints a file's figures and saves them as `test-results/<suite>/<name>.json` for
 * RELIABILITY.md (the cluster suite reports under `cluster`).
 */
export function reportFigures(
  name: string,
  figures: Record<string, number | string>,
  suite: 'chaos' | 'cluster' = 'chaos',
): void {
  const dir = path.join(FIGURES_DIR, '..', suite);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${name}.json`),
    `${JSON.stringify({ at: new Date().toISOString(), ...figures }, null, 2)}\n`,
  );
  console.log(
    `[${suite}] ${name}: ${Object.entries(figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
}

/** A worker process of `crash-worker.ts`, ready to poll. */
export interface WorkerProcess {
  proc: ChildProcess;
  /** Lets the prepared worker start polling. */
  go(): void;
}

/** Starts a worker process of `crash-worker.ts` and resolves once it is ready to poll (it polls after `go()`). */
export function spawnWorkerProcess(config: CrashWorkerConfig, spawned?: ChildProcess[]): Promise<WorkerProcess> {
  // node itself with tsx's loader (not the tsx CLI, whose child would outlive a SIGKILL).
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'crash-worker.ts')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CHAOS_WORKER: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  spawned?.push(proc);
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => line === 'READY' && resolve({ proc, go: () => proc.stdin!.write('GO\n') }));
    proc.once('exit', (code, signal) => reject(new Error(`worker exited before READY (${code ?? signal})`)));
  });
}

/**
 * Starts a worker process for `app` on `taskQueue` of the shared dev server, its Infobip the
 * emulator at `emulatorUrl`, and resolves once it is ready to poll (it polls after `go()`); the
 * process is added to `spawned` at once, so a test can kill it even before it is ready.
 */
export function prepareWorkerProcess(
  taskQueue: string,
  emulatorUrl: string,
  app: ApplicationDeclaration,
  spawned?: ChildProcess[],
): Promise<WorkerProcess> {
  const config: CrashWorkerConfig = {
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
    taskQueue,
    bundlePath: inject('workflowBundlePath'),
    emulatorUrl,
    apiKey: API_KEY,
    applications: [app],
  };
  return spawnWorkerProcess(config, spawned);
}

/** SIGKILLs a process; resolves once it is gone. */
export function killNow(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}
