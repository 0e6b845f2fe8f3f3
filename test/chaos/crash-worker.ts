/**
 * A worker process for the crash test: the real activities against an emulator, on the run's
 * dev server, with the prebuilt workflow bundle. Configured by the JSON in `CHAOS_WORKER`.
 * It loads and creates the worker, prints `READY`, and starts polling when it reads `GO` on
 * stdin: the test prepares the next process while the current one runs, so that the time
 * between a SIGKILL and the next worker polling is not the cost of loading Node modules.
 */
import { createActivities } from '../../activities';
import type { ApplicationDeclaration } from '../../config/types';
import { createInfobipClient } from '../../infobip';
import { GuardReporter } from '../../worker/guard-reporter';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

/** What the parent passes in `CHAOS_WORKER`. */
export interface CrashWorkerConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  emulatorUrl: string;
  apiKey: string;
  applications: ApplicationDeclaration[];
  /** Feed the abuse guard as a production worker does (a `GuardReporter`). */
  guardFeed?: boolean;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.CHAOS_WORKER ?? '') as CrashWorkerConfig;
  Runtime.install({ logger: new DefaultLogger('ERROR'), workerHeartbeatInterval: 0 });
  const connection = await NativeConnection.connect({ address: cfg.address });
  const infobip = createInfobipClient({
    baseUrl: cfg.emulatorUrl,
    apiKey: cfg.apiKey,
    headersTimeoutMs: 3_000,
  });
  const guardFeed = cfg.guardFeed
    ? new GuardReporter(cfg.applications, { taskQueue: cfg.taskQueue })
    : undefined;
  const worker = await Worker.create({
    connection,
    namespace: cfg.namespace,
    taskQueue: cfg.taskQueue,
    workflowBundle: { codePath: cfg.bundlePath },
    activities: createActivities({
      infobip,
      applications: cfg.applications,
      heartbeatIntervalMs: 500,
      guardFeed,
    }),
    // A killed worker's sticky queue hands its flows back to the shared queue after this.
    stickyQueueScheduleToStartTimeout: '2s',
  });
  process.stdout.write('READY\n');
  await new Promise<void>((resolve) => {
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => chunk.includes('GO') && resolve());
  });
  if (guardFeed && worker.client) guardFeed.start(worker.client);
  await worker.run();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
