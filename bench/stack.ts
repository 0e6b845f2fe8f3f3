/**
 * What every benchmark phase shares: a headless Temporal dev server of its own, the Infobip
 * emulator with one bench application, the delivery-report ingress the emulator pushes its
 * reports to, the two workflow bundles, and a follower of the inbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ensureApplication } from '../setup/applications';
import { createDeliveryReportServer, DELIVERY_REPORTS_PATH } from '../api/delivery-reports';
import { ApiMetrics } from '../api/metrics';
import type { ApplicationDeclaration } from '../config/types';
import { createEmulator, type Emulator } from '../emulator';
import { createInfobipClient } from '../infobip';
import { resolveTemporalCli, systemProbe } from '../scripts/temporal-cli';
import { createOwnLocalServer, executableFor } from '../dev/own-dev-server';
import { devServerExtraArgs, dynamicConfigArgs } from '../dev/server-flags';
import { buildWorkflowBundle } from '../worker/bundle';
import { SEARCH_ATTRIBUTES } from '../domain/constants';
import { watchInbox, type InboxWatch } from './inbox-watch';
import { startClusterServer } from './cluster-server';
import { findChildProcess, sampleProcess } from './machine';

export const BENCH_API_KEY = 'otpflow-bench-key';
/** The bench deployment's destination-hash key: flow IDs and the ingress's mapping use it. */
export const BENCH_HASH_KEY = Buffer.from('otpflow-bench-destination-hash-key');
const REPORT_CREDENTIALS = { username: 'infobip', password: 'otpflow-bench-report-secret' };
/**
 * The emulator's report delay: short, so that a report reaches its flow while the flow is still
 * open (the driver checks the code as soon as the PIN arrives); the report signal is then part
 * of every flow, as with a person who types the code after the SMS's report came.
 */
const REPORT_DELAY_MS = 1;

/**
 * Server flags of the bench's dev server, the same for every target: otpflow's own (eager
 * activity execution among them; a worker with `maxEagerActivityReservationsPerWorkflowTask: 0`
 * behaves as without it, the bench's variant), and one partition per task queue instead of
 * four. With four, a fifth to a third of the rounds (runs Q–S) ran at 21–25 flows/s instead of
 * 31–44 while the dev server idled at 55–60 % of a core instead of ~95 %: flows waited, likely
 * tasks on a partition no poller was waiting on, and whichever target such rounds hit decided
 * the wall-clock ratios (0.94–1.13 pooled while CPU per flow said 0.84). With one partition no
 * round of 24 stalled, in a scratch A/B. One worker per task queue at a few dozen flows/s is far
 * below what needs more partitions.
 */
export const BENCH_DYNAMIC_CONFIG = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};
export const BENCH_SERVER_ARGS = [...devServerExtraArgs, ...dynamicConfigArgs(BENCH_DYNAMIC_CONFIG)];

/** Which server the bench runs on: the CLI's dev server (SQLite), or `otpflow cluster`'s. */
export type BenchServerKind = 'dev' | 'cluster';

/** The bench application: the default login template, limits high enough for 10,000+ sends. */
export function benchApplication(): ApplicationDeclaration {
  return {
    name: 'bench',
    enabled: true,
    pin: { type: 'NUMERIC', length: 6 },
    defaultLanguage: 'en',
    templates: {
      sms: { en: { messageText: 'Your login code is {{pin}}.', senderId: 'otpflow' } },
      voice: { en: { messageText: 'Your login code is {{pin}}.' } },
      email: { en: { emailTemplateId: 1, from: 'Login <login@example.com>' } },
    },
    infobip: {
      pinAttempts: 10,
      allowMultiplePinVerifications: false,
      pinTimeToLive: '1h',
      verifyPinLimit: '1000/1s',
      sendPinPerApplicationLimit: '1000000/1d',
      sendPinPerPhoneNumberLimit: '100/1d',
    },
    policy: {
      lookup: 'ADVISORY',
      ttlSeconds: 300,
      maxAttempts: 5,
      resendCooldownSeconds: 30,
      maxResends: 3,
      fallback: [{ channel: 'VOICE', afterSeconds: 60 }],
      allowedCountries: [],
      voiceForLandlines: true,
    },
    // The abuse guard on, as by default, with the bench's numbers (+4179…, verified at once but a
    // spike by nature) on its allow-list: every start pays the guard's checks and every send and
    // verify feeds it, but the bench's own load never blocks itself.
    guard: { breaker: { allowPrefixes: ['+4179'] } },
  };
}

/** The shared parts of a run. */
export interface BenchStack {
  env: TestWorkflowEnvironment;
  emulator: Emulator;
  inbox: InboxWatch;
  app: ApplicationDeclaration;
  applicationId: string;
  smsMessageId: string;
  bundles: { otpflow: string; baseline: string };
  /** How the report names the server. */
  server: string;
  /** CPU time the server has used so far, seconds (undefined where /proc is missing). */
  serverCpuSeconds(): number | undefined;
  /** Delivery reports the ingress took so far, by outcome (signalled, unmatched, malformed). */
  deliveryReports(): Record<string, number>;
  close(): Promise<void>;
}

/** Starts server, emulator and inbox follower, sets up the application, bundles both workflows. */
export async function startBenchStack(
  log: (m: string) => void,
  serverKind: BenchServerKind = 'dev',
): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), workerHeartbeatInterval: 0 });
  const cli = resolveTemporalCli(systemProbe, { build: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-bench-'));
  log('bundling the otpflow and baseline workflows');
  const bundles = { otpflow: path.join(dir, 'otpflow.js'), baseline: path.join(dir, 'baseline.js') };
  // The plain bundle an otpflow worker without encryption runs, built the same way.
  await buildWorkflowBundle(bundles.otpflow, false);
  await buildWorkflowBundle(bundles.baseline, false, path.join(__dirname, 'baseline-workflow.ts'));

  log(
    `starting the ${serverKind === 'cluster' ? 'Temporal server on PostgreSQL' : 'dev server'} and the emulator`,
  );
  const server = serverKind === 'cluster' ? await startClusterServer(BENCH_DYNAMIC_CONFIG, log) : undefined;
  const env =
    server?.env ??
    (await createOwnLocalServer({
      server: {
        executable: executableFor(cli),
        searchAttributes: [...SEARCH_ATTRIBUTES],
        extraArgs: BENCH_SERVER_ARGS,
      },
    }));
  const devPid = server ? undefined : findChildProcess('start-dev');
  const metrics = new ApiMetrics();
  const ingress = await startIngress(env, metrics);
  const emulator = await createEmulator({
    apiKeys: [BENCH_API_KEY],
    managementLimits: false,
    reports: { subscription: { url: ingress.url, basic: REPORT_CREDENTIALS }, delayMs: REPORT_DELAY_MS },
  });
  const app = benchApplication();
  const infobip = createInfobipClient({ baseUrl: emulator.url, apiKey: BENCH_API_KEY });
  const setup = await ensureApplication(infobip, app, { dryRun: false });
  await infobip.close();
  const smsMessageId = setup.templates['SMS/en'];
  if (!setup.applicationId || !smsMessageId) throw new Error('bench application setup returned no IDs');
  const inbox = await watchInbox(emulator.url);
  return {
    env,
    emulator,
    inbox,
    app,
    applicationId: setup.applicationId,
    smsMessageId,
    bundles,
    server: server?.label ?? 'Temporal CLI dev server (SQLite)',
    serverCpuSeconds: () => server?.cpuSeconds() ?? (devPid ? sampleProcess(devPid)?.cpuSeconds : undefined),
    deliveryReports: () => {
      const received = metrics.counter('otpflow_delivery_reports_received', '');
      return Object.fromEntries(
        ['signalled', 'unmatched', 'malformed'].map((outcome) => [outcome, received.get({ outcome })]),
      );
    },
    async close() {
      inbox.close();
      await emulator.close();
      await ingress.app.close();
      await (server ? server.close() : env.teardown());
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The delivery-report ingress otpflow's API process runs, alone on a loopback port. */
async function startIngress(
  env: TestWorkflowEnvironment,
  metrics: ApiMetrics,
): Promise<{ app: FastifyInstance; url: string }> {
  const app = createDeliveryReportServer(
    {
      client: env.client,
      applications: [benchApplication().name],
      destinationHashKey: BENCH_HASH_KEY,
      credentials: [REPORT_CREDENTIALS],
    },
    metrics,
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}${DELIVERY_REPORTS_PATH}` };
}
