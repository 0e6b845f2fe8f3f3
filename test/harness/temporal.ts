/**
 * Test helpers around the shared dev server started by `global-setup.ts`: a connected test
 * environment, a unique task queue per test, and workers that always shut down.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';

let runtimeInstalled = false;

/** Installs a quiet Runtime once per process (Runtime.install may run only once). */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN'), workerHeartbeatInterval: 0 });
  runtimeInstalled = true;
}

/** Connects to the run's shared dev server. Call `teardown()` when done. */
export async function connectTestEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
  });
}

/** A task queue no other test uses. */
export function uniqueTaskQueue(name = 'test'): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}

/** Path of the workflow bundle built once for the run. */
export function workflowBundlePath(): string {
  return inject('workflowBundlePath');
}

export interface RunningWorker {
  worker: Worker;
  taskQueue: string;
  /** Stops the worker and waits for it to drain. */
  shutdown(): Promise<void>;
}

/** Creates and runs a worker on the shared server with the prebuilt workflow bundle. */
export async function startWorker(
  env: TestWorkflowEnvironment,
  options: Omit<WorkerOptions, 'connection' | 'workflowBundle' | 'workflowsPath' | 'taskQueue'> & {
    taskQueue?: string;
  },
): Promise<RunningWorker> {
  const taskQueue = options.taskQueue ?? uniqueTaskQueue();
  const worker = await Worker.create({
    ...options,
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: { codePath: workflowBundlePath() },
  });
  const running = worker.run();
  return {
    worker,
    taskQueue,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
