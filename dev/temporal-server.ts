/**
 * The Temporal dev server as a child process of `otpflow dev`: `temporal server start-dev` on
 * loopback with the Web UI, otpflow's search attributes and the project's dynamic config.
 */
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../domain/constants';
import { ForeignServerError, probeNamespace, proveOwnServer } from './own-dev-server';
import { describeExit, startChild } from './processes';
import { devServerExtraArgs } from './server-flags';

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
  /** Calls `fn` (with how it ended) if the server ends without `stop()` or `kill()`. */
  onUnexpectedExit(fn: (why: string) => void): void;
}

/** Thrown when the dev server exits or does not answer during start-up. */
export class DevServerError extends Error {
  override readonly name = 'DevServerError';
  readonly code = 'DEV_SERVER_START';
  constructor(
    message: string,
    /** Another server answered on the port: it was taken after it was checked. */
    readonly foreign = false,
  ) {
    super(message);
  }
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

/** The full `temporal` argument list for `options` (`probe`: the extra namespace that proves it is ours). */
export function devServerArgs(options: DevServerOptions, probe?: string): string[] {
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
    ...(probe ? ['--namespace', probe] : []),
    '--log-level',
    'warn',
    ...searchAttributeArgs(),
    ...devServerExtraArgs,
    ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
  ];
}

/**
 * Starts the dev server and resolves once it answers gRPC calls and has proven to be the
 * process we started (see own-dev-server.ts). Throws `DevServerError` when it exits, does not
 * answer in time, or another server holds its port (`foreign` set).
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const address = `${ip}:${options.port}`;
  const probe = probeNamespace();
  const child = startChild({
    name: 'Temporal dev server',
    command: options.cliPath,
    args: devServerArgs(options, probe),
  });
  const stop = async (graceMs = 10_000): Promise<void> => {
    await child.stop(graceMs);
  };
  const kill = () => void child.kill('SIGKILL');
  const fail = async (message: string, foreign = false): Promise<never> => {
    await stop(2000);
    throw new DevServerError(message, foreign);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (!child.running()) {
      const exit = await child.exited;
      if (exit.error) return fail(`cannot run ${options.cliPath}: ${exit.error.message}`);
      return fail(`temporal server start-dev exited during start-up:\n${child.output()}`);
    }
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await proveOwnServer(conn, probe, address, {
        namespace: options.namespace ?? 'default',
        deleteProbe: true,
      });
      break;
    } catch (err) {
      if (err instanceof ForeignServerError) return fail(err.message, true);
      if (Date.now() > deadline) {
        return fail(`temporal server start-dev did not answer on ${address} in time:\n${child.output()}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await conn?.close();
    }
  }
  return {
    address,
    uiUrl: `http://${ip}:${options.uiPort}`,
    namespace: options.namespace ?? 'default',
    pid: child.pid,
    stop,
    kill,
    onUnexpectedExit: (fn) => child.onUnexpectedExit((exit) => fn(describeExit(exit))),
  };
}
