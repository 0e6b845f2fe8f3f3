/** Parent side of `worker-child.ts`: start a worker process, read its /proc figures, stop it. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sampleProcess, type ProcSample } from './machine';
import type { WorkerChildConfig, WorkerChildMessage } from './worker-child';

/** A running worker process. */
export interface WorkerProcess {
  pid: number;
  taskQueue: string;
  /** The cache size the worker computed or was given. */
  maxCachedWorkflows: number;
  sample(): ProcSample | undefined;
  /** Shuts the worker down (drains), then waits for the process to exit. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** Forks `worker-child.ts` under tsx and waits until its worker polls. */
export async function startWorkerProcess(config: WorkerChildConfig): Promise<WorkerProcess> {
  const child: ChildProcess = fork(path.join(__dirname, 'worker-child.ts'), [JSON.stringify(config)], {
    execArgv: ['--import', 'tsx', ...(config.heapMiB ? [`--max-old-space-size=${config.heapMiB}`] : [])],
    cwd: path.join(__dirname, '..'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('worker process not ready within 60 s')),
      READY_TIMEOUT_MS,
    );
    child.on('message', (msg: WorkerChildMessage) => {
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve(msg.maxCachedWorkflows);
      } else if (msg.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`worker process failed: ${msg.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code} before it was ready`));
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  const pid = child.pid as number;
  return {
    pid,
    taskQueue: config.taskQueue,
    maxCachedWorkflows: ready,
    sample: () => sampleProcess(pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
