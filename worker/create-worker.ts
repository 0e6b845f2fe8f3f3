/** `createOtpWorker`: an otpflow worker for a configuration, with its activities, codec and telemetry. */
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { createDataConverter } from '../codec/data-converter';
import type { OtpflowConfig } from '../config/types';
import { createInfobipClient, type InfobipClient } from '../infobip';
import { createLogger, type Logger } from './logging';
import { GuardReporter } from './guard-reporter';
import { otpActivityInterceptors } from './metrics';
import { workflowSource } from './bundle';

export interface OtpWorkerOptions {
  config: OtpflowConfig;
  connection: NativeConnection;
  /** Activities to register. @default createActivities for `config` against `config.infobip` */
  activities?: object;
  /** Extra activity dependencies (dispatchers, timeouts) for the default activities. */
  activityDeps?: Partial<ActivityDeps>;
  /** Structured logger for activity outcomes. @default silent (metrics are still recorded) */
  logger?: Logger;
  /** @default config.temporal.taskQueue */
  taskQueue?: string;
  /** @default config.temporal.namespace ?? 'default' */
  namespace?: string;
  /** A prebuilt bundle to use instead of the one in `dist/` (it must match the encryption setting). */
  workflowBundlePath?: string;
  /** Any other Worker option (concurrency, identity, …). */
  workerOptions?: Partial<Omit<WorkerOptions, 'connection' | 'taskQueue' | 'namespace' | 'activities'>>;
}

/** A created worker plus what must be closed after it stops. */
export interface OtpWorker {
  worker: Worker;
  /** The Infobip client the default activities use (undefined with custom activities). */
  infobip?: InfobipClient;
  /** The abuse guard's feed of the default activities (undefined with custom activities). */
  guard?: GuardReporter;
  /** Releases the Infobip client's connections; call after `worker.run()` resolved. */
  close(): Promise<void>;
}

/**
 * Creates (does not run) a worker for otpflow's task queue. Uses `dist/workflow-bundle*.js`
 * when built (`npm run build`) and bundles the sources otherwise. Payloads are encrypted when
 * `config.encryptionKeys` is not empty. In-flight activities get `config.worker.shutdownGraceMs`
 * to finish on shutdown before they are cancelled.
 */
export async function createOtpWorker(options: OtpWorkerOptions): Promise<OtpWorker> {
  const { config } = options;
  let infobip: InfobipClient | undefined;
  let activities = options.activities;
  const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
  const guard = activities
    ? undefined
    : new GuardReporter(config.applications, {
        taskQueue,
        onError: (application, err) =>
          (options.logger ?? createLogger('silent')).warn({ application, err }, 'guard feed not delivered'),
      });
  if (!activities) {
    infobip = createInfobipClient({ baseUrl: config.infobip.baseUrl, apiKey: config.infobip.apiKey });
    activities = createActivities({
      infobip,
      applications: config.applications,
      webhookSecrets: config.webhookSecrets,
      guardFeed: guard,
      ...(config.destinationHashKey.length > 0 ? { destinationHashKey: config.destinationHashKey } : {}),
      ...options.activityDeps,
    });
  }
  const encrypted = config.encryptionKeys.length > 0;
  const graceMs = config.worker?.shutdownGraceMs ?? 10_000;
  const extra = options.workerOptions ?? {};
  const worker = await Worker.create({
    shutdownGraceTime: graceMs,
    shutdownForceTime: graceMs + 10_000,
    ...workflowSource(encrypted, options.workflowBundlePath),
    ...extra,
    interceptors: {
      ...extra.interceptors,
      activity: [
        otpActivityInterceptors(options.logger ?? createLogger('silent')),
        ...(extra.interceptors?.activity ?? []),
      ],
    },
    connection: options.connection,
    namespace: options.namespace ?? config.temporal.namespace ?? 'default',
    taskQueue,
    // With keys, what a caller sent unencrypted reaches the workflow as a mark it refuses.
    dataConverter: createDataConverter(config, { markPlain: true }),
    activities,
  });
  if (guard && worker.client) guard.start(worker.client);
  return {
    worker,
    infobip,
    guard,
    close: async () => {
      await guard?.close();
      await infobip?.close();
    },
  };
}
