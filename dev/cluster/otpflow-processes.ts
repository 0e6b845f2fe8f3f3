/**
 * The otpflow processes of a cluster: `otpflow worker` and `otpflow api`, each started from
 * `bin/otpflow.js` and ready only once it proves itself (a worker by polling with its own
 * identity, an API by its own JSON "API listening" log line), and the workflow bundle the workers load.
 */
import os from 'node:os';
import path from 'node:path';
import { renameSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { PROJECT_ROOT } from '../../scripts/temporal-cli';
import {
  buildWorkflowBundle,
  ENCRYPTED_WORKFLOW_BUNDLE_PATH,
  WORKFLOW_BUNDLE_PATH,
  workflowSource,
} from '../../worker/bundle';
import { describeExit, startChild, type SupervisedChild } from '../processes';
import { ClusterStartError } from './errors';

const BIN = path.join(PROJECT_ROOT, 'bin', 'otpflow.js');

/** What every otpflow process of a cluster shares. */
export interface OtpflowProcessBase {
  /** The environment of the workers and APIs (secrets, Temporal, Infobip). */
  env: NodeJS.ProcessEnv;
  address: string;
  namespace: string;
  taskQueue: string;
  echo: boolean;
  logFile(name: string): string;
}

/** Starts worker `index + 1` and resolves once it polls; `metricsPort` 0 for none. */
export function startWorkerProcess(
  o: OtpflowProcessBase & { index: number; metricsPort: number },
): Promise<SupervisedChild> {
  const child = startChild({
    name: `worker ${o.index + 1}`,
    command: process.execPath,
    args: [BIN, 'worker'],
    cwd: PROJECT_ROOT,
    env: {
      ...o.env,
      // The heap cap the README and the image recommend for workers.
      NODE_OPTIONS: `${o.env.NODE_OPTIONS ?? ''} --max-old-space-size=384`.trim(),
      OTPFLOW_LOG_LEVEL: o.echo ? 'info' : 'warn',
      ...(o.metricsPort ? { OTPFLOW_METRICS_ADDRESS: `127.0.0.1:${o.metricsPort}` } : {}),
    },
    logFile: o.logFile(`worker-${o.index + 1}`),
    echo: o.echo,
  });
  return waitReady(child, () => polls(o, child.pid), 'poll its task queue');
}

/** Starts API instance `index + 1` on `port` and resolves once it listens. */
export function startApiProcess(
  o: OtpflowProcessBase & { index: number; port: number },
): Promise<SupervisedChild> {
  const child = startChild({
    name: `API ${o.index + 1}`,
    command: process.execPath,
    args: [BIN, 'api'],
    cwd: PROJECT_ROOT,
    env: {
      ...o.env,
      OTPFLOW_API_HOST: '127.0.0.1',
      OTPFLOW_API_PORT: String(o.port),
      // Info, a deployment's default: its "API listening" line is how it proves itself below.
      OTPFLOW_LOG_LEVEL: 'info',
    },
    logFile: o.logFile(`api-${o.index + 1}`),
    echo: o.echo,
  });
  // Its own output says it listens: someone else's API on the port is never taken for it.
  const address = `http://127.0.0.1:${o.port}`;
  return waitReady(child, async () => saysListening(child.output(), address), 'listen');
}

/** Whether a JSON log line of `output` is the API's "API listening" at `address`. */
export function saysListening(output: string, address: string): boolean {
  return output.split('\n').some((line) => {
    if (!line.includes('API listening')) return false;
    try {
      const entry = JSON.parse(line) as { msg?: unknown; address?: unknown };
      return entry.msg === 'API listening' && entry.address === address;
    } catch {
      return false;
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ready` until it is true; fails when `child` exits first or time runs out (then stops it). */
async function waitReady(
  child: SupervisedChild,
  ready: () => Promise<boolean>,
  what: string,
  timeoutMs = 90_000,
): Promise<SupervisedChild> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!child.running())
      throw new ClusterStartError(
        `${child.name} ${describeExit(await child.exited)} during start-up:\n${child.output()}`,
      );
    if (await ready().catch(() => false)) return child;
    if (Date.now() > deadline) {
      await child.stop(5_000);
      throw new ClusterStartError(
        `${child.name} did not ${what} in ${timeoutMs / 1000} s:\n${child.output()}`,
      );
    }
    await sleep(250);
  }
}

/**
 * Builds the prebuilt workflow bundle the workers load (as `npm run build` does) when it is
 * missing or older than the sources: once here, instead of in every worker process at every
 * (re)start, as a deployment ships it.
 */
export async function ensureWorkflowBundle(encrypted: boolean, log: (m: string) => void): Promise<void> {
  if ('workflowBundle' in workflowSource(encrypted)) return;
  const target = encrypted ? ENCRYPTED_WORKFLOW_BUNDLE_PATH : WORKFLOW_BUNDLE_PATH;
  log(`bundling the workflows into ${path.relative(PROJECT_ROOT, target)} for the workers…`);
  const tmp = `${target}.${process.pid}.tmp`;
  await buildWorkflowBundle(tmp, encrypted);
  renameSync(tmp, target);
}

/** Whether the worker process `pid` polls the task queue (its identity is `<pid>@<host>`). */
async function polls(o: OtpflowProcessBase, pid: number): Promise<boolean> {
  const conn = await Connection.connect({ address: o.address, connectTimeout: 2_000 });
  try {
    const r = await conn.workflowService.describeTaskQueue({
      namespace: o.namespace,
      taskQueue: { name: o.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (r.pollers ?? []).some((p) => p.identity === `${pid}@${os.hostname()}`);
  } finally {
    await conn.close();
  }
}
