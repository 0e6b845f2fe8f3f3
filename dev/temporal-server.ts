/**
 * The Temporal dev server as a child process of `otpflow dev`: `temporal server start-dev` on
 * loopback with the Web UI, otpflow's search attributes and the project's dynamic config.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { devServerExtraArgs } from './server-flags';
import { SEARCH_ATTRIBUTES } from '../domain/constants';

export interface DevServerOptions {
  /** Path of the `temporal` binary (see scripts/temporal-cli.ts). */
  cliPath: string;
  /** @default '127.0.0.1' */
  ip?: string;
  port: number;
  uiPort: number;
  /** @default 'default' */
  namespace?: string;
  /** SQLite file keeping the server's state; in memory when absent. */
  dbFile?: string;
  /** Codec server URL the Web UI decodes payloads with. */
  uiCodecEndpoint?: string;
  /** How long to wait for the server to answer. @default 30000 */
  startTimeoutMs?: number;
}

export interface DevServer {
  /** `127.0.0.1:7233` */
  address: string;
  uiUrl: string;
  namespace: string;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after `graceMs`) and waits for the process to end. */
  stop(graceMs?: number): Promise<void>;
  /** Kills the server at once (a second Ctrl-C). */
  kill(): void;
}

/**
 * A `sh` that blocks reading a pipe from this process and, when the pipe closes — this
 * process ended, even by SIGKILL — stops the server: no orphaned `temporal` either way.
 * A normal stop kills the watchdog after the server has ended.
 */
function startWatchdog(serverPid: number): ChildProcess {
  const script =
    'while read -r _; do :; done; kill -TERM "$1" 2>/dev/null; sleep 10; kill -KILL "$1" 2>/dev/null';
  const dog = spawn('sh', ['-c', script, 'otpflow-watchdog', String(serverPid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  dog.on('error', () => undefined);
  // Neither the watchdog nor its pipe may keep this process alive.
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return dog;
}

/** Thrown when the dev server exits or does not answer during start-up. */
export class DevServerError extends Error {
  override readonly name = 'DevServerError';
  readonly code = 'DEV_SERVER_START';
}

const CLI_TYPE: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `--search-attribute Name=Type` for each key. */
export function searchAttributeArgs(
  keys: readonly { name: string; type: SearchAttributeType }[] = SEARCH_ATTRIBUTES,
): string[] {
  return keys.flatMap((k) => ['--search-attribute', `${k.name}=${CLI_TYPE[k.type]}`]);
}

/** The full `temporal` argument list for `options`. */
export function devServerArgs(options: DevServerOptions): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    options.ip ?? '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--namespace',
    options.namespace ?? 'default',
    '--log-level',
    'warn',
    ...searchAttributeArgs(),
    ...devServerExtraArgs,
    ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
  ];
}

/** Starts the dev server and resolves once it answers gRPC calls. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const address = `${ip}:${options.port}`;
  // Its own process group: a terminal's Ctrl-C reaches only otpflow, which stops the parts in order.
  const child: ChildProcess = spawn(options.cliPath, devServerArgs(options), {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const watchdog = child.pid ? startWatchdog(child.pid) : undefined;
  const output: string[] = [];
  const keep = (d: Buffer) => {
    output.push(d.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  let done = false;
  void exited.then(() => (done = true));

  const stop = async (graceMs = 10_000): Promise<void> => {
    if (!done && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    watchdog?.kill('SIGKILL');
  };
  const kill = () => {
    child.kill('SIGKILL');
    watchdog?.kill('SIGKILL');
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (spawnError) throw new DevServerError(`cannot run ${options.cliPath}: ${spawnError.message}`);
    if (done) {
      throw new DevServerError(
        `temporal server start-dev exited during start-up:\n${output.join('').trim()}`,
      );
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.getSystemInfo({});
        await conn.workflowService.describeNamespace({ namespace: options.namespace ?? 'default' });
      } finally {
        await conn.close();
      }
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop(2000);
        throw new DevServerError(
          `temporal server start-dev did not answer on ${address} in time:\n${output.join('').trim()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    address,
    uiUrl: `http://${ip}:${options.uiPort}`,
    namespace: options.namespace ?? 'default',
    pid: child.pid ?? -1,
    stop,
    kill,
  };
}
