/**
 * A benchmark worker in its own process, so its memory and CPU can be read from /proc apart
 * from the client, the emulator and the dev server. Started by `worker-process.ts` with its
 * configuration in argv[2]; answers `ready` over IPC, stops on `stop`.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ApplicationDeclaration } from '../config/types';
import { createInfobipClient } from '../infobip';
import { GuardReporter } from '../worker/guard-reporter';
import { createBaselineActivities } from './baseline-activities';

/** Worker settings a benchmark variant may change (everything else is the SDK default). */
export type TunableWorkerOptions = Pick<
  WorkerOptions,
  | 'maxCachedWorkflows'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxConcurrentWorkflowTaskPolls'
  | 'maxConcurrentActivityTaskPolls'
  | 'workflowTaskPollerBehavior'
  | 'activityTaskPollerBehavior'
  | 'maxEagerActivityReservationsPerWorkflowTask'
>;

/** What the parent sends in argv[2]. */
export interface WorkerChildConfig {
  kind: 'otpflow' | 'baseline';
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  emulatorUrl: string;
  apiKey: string;
  applications: ApplicationDeclaration[];
  options: TunableWorkerOptions;
  /** V8 old-space limit of the worker process (`--max-old-space-size`), MiB. @default Node's */
  heapMiB?: number;
}

/** Messages the child sends to the parent. */
export type WorkerChildMessage =
  { type: 'ready'; maxCachedWorkflows: number } | { type: 'error'; message: string } | { type: 'stopped' };

function send(msg: WorkerChildMessage): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as WorkerChildConfig;
  Runtime.install({ logger: new DefaultLogger('ERROR'), workerHeartbeatInterval: 0, shutdownSignals: [] });
  const infobip = createInfobipClient({
    baseUrl: config.emulatorUrl,
    apiKey: config.apiKey,
    connections: 64,
  });
  const connection = await NativeConnection.connect({ address: config.address });
  // An otpflow worker feeds the abuse guard as `otpflow worker` does.
  const guardFeed =
    config.kind === 'otpflow'
      ? new GuardReporter(config.applications, { taskQueue: config.taskQueue })
      : undefined;
  const activities =
    config.kind === 'otpflow'
      ? createActivities({ infobip, applications: config.applications, guardFeed })
      : createBaselineActivities(infobip);
  const worker = await Worker.create({
    ...config.options,
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    workflowBundle: { codePath: config.bundlePath },
    activities,
  });
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type === 'stop' && worker.getState() === 'RUNNING') worker.shutdown();
  });
  // The parent going away must not leave a worker behind.
  process.on('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  if (guardFeed && worker.client) guardFeed.start(worker.client);
  const running = worker.run();
  send({ type: 'ready', maxCachedWorkflows: worker.options.maxCachedWorkflows });
  try {
    await running;
  } finally {
    await guardFeed?.close();
    await connection.close();
    await infobip.close();
  }
  send({ type: 'stopped' });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    send({ type: 'error', message: String((err as Error)?.stack ?? err) });
    process.exit(1);
  },
);
