/**
 * The Temporal server and its Web UI as child processes of `otpflow cluster`, and the namespace
 * otpflow needs on it (retention, the four search attributes).
 *
 * All four services run in ONE `temporal-server start` process: on two cores a small deployment
 * runs exactly that (separate frontend, history, matching and worker processes would spend the
 * same CPU plus four runtimes' memory and the gRPC hops between them, and buy nothing without
 * more machines to spread them over).
 */
import { Connection, isGrpcServiceError } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../domain/constants';
import { ForeignServerError } from '../own-dev-server';
import { startChild, type SupervisedChild } from '../processes';

/** Thrown when the server or the UI do not start, or another process answers on their port. */
export class ClusterServerError extends Error {
  override readonly name = 'ClusterServerError';
  readonly code = 'CLUSTER_SERVER';
}

/** How long a finished verification's history is kept (docker-compose.yml registers the same). */
export const NAMESPACE_RETENTION_HOURS = 72;

const NOT_FOUND = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ServerProcessOptions {
  binary: string;
  /** Holds `config/otpflow.yaml`. */
  root: string;
  address: string;
  /** The cluster name in the config: proves the server answering is this one. */
  clusterName: string;
  logFile?: string;
  echo?: boolean;
  /** @default 60000 */
  timeoutMs?: number;
}

/** `temporal-server --root R --config config --env otpflow --allow-no-auth start` */
export function serverArgs(root: string): string[] {
  return ['--root', root, '--config', 'config', '--env', 'otpflow', '--allow-no-auth', 'start'];
}

/**
 * Starts the server and resolves once it answers as the cluster `clusterName` (a server of
 * someone else's on the port is a `ForeignServerError`, never joined).
 */
export async function startTemporalServer(o: ServerProcessOptions): Promise<SupervisedChild> {
  const child = startChild({
    name: 'Temporal server',
    command: o.binary,
    args: serverArgs(o.root),
    logFile: o.logFile,
    echo: o.echo,
  });
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    if (!child.running())
      throw new ClusterServerError(`the Temporal server exited during start-up:\n${child.output()}`);
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect({ address: o.address, connectTimeout: 1_000 });
      const info = await conn.workflowService.getClusterInfo({});
      if (info.clusterName !== o.clusterName) {
        await child.stop(5_000);
        throw new ForeignServerError(
          `the Temporal server answering on ${o.address} is cluster "${info.clusterName}", not this one ("${o.clusterName}"): another process holds that port`,
        );
      }
      return child;
    } catch (err) {
      if (err instanceof ForeignServerError) throw err;
      if (Date.now() > deadline) {
        await child.stop(5_000);
        throw new ClusterServerError(
          `the Temporal server did not answer on ${o.address} in time:\n${child.output()}`,
        );
      }
      await sleep(250);
    } finally {
      await conn?.close();
    }
  }
}

const INDEXED: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Retries `fn` until it resolves or `timeoutMs` passes (then rethrows its last error). */
async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

/**
 * Registers `namespace` (when missing) and otpflow's search attributes (those missing), then
 * waits until a list query over them works: a new namespace and new attributes reach the
 * frontend's caches a few seconds after they are written.
 */
export async function ensureNamespace(address: string, namespace: string, timeoutMs = 60_000): Promise<void> {
  const conn = await Connection.connect({ address });
  try {
    try {
      await conn.workflowService.describeNamespace({ namespace });
    } catch (err) {
      if (!isGrpcServiceError(err) || err.code !== NOT_FOUND) throw err;
      await conn.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(`${NAMESPACE_RETENTION_HOURS}h`),
      });
    }
    await retry(() => conn.workflowService.describeNamespace({ namespace }), timeoutMs);
    const existing = await retry(() => conn.operatorService.listSearchAttributes({ namespace }), timeoutMs);
    const missing = SEARCH_ATTRIBUTES.filter((k) => !(k.name in (existing.customAttributes ?? {})));
    if (missing.length > 0) {
      await retry(
        () =>
          conn.operatorService.addSearchAttributes({
            namespace,
            searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED[k.type]])),
          }),
        timeoutMs,
      );
    }
    const query = SEARCH_ATTRIBUTES.map((k) => `${k.name} = "probe"`).join(' AND ');
    await retry(
      () => conn.workflowService.listWorkflowExecutions({ namespace, query, pageSize: 1 }),
      timeoutMs,
    );
  } finally {
    await conn.close();
  }
}

export interface UiProcessOptions {
  binary: string;
  /** Holds `config/otpflow.yaml`. */
  root: string;
  port: number;
  logFile?: string;
  echo?: boolean;
  /** @default 30000 */
  timeoutMs?: number;
}

/**
 * Starts the Web UI server and resolves once IT says it listens (its own output, so a UI of
 * someone else's on the port is never taken for ours) and its settings answer.
 */
export async function startUiServer(o: UiProcessOptions): Promise<SupervisedChild> {
  const child = startChild({
    name: 'Temporal Web UI',
    command: o.binary,
    args: ['--root', o.root, '--config', 'config', '--env', 'otpflow', 'start'],
    logFile: o.logFile,
    echo: o.echo,
  });
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  const listening = new RegExp(`http server started on 127\\.0\\.0\\.1:${o.port}\\b`);
  for (;;) {
    if (!child.running())
      throw new ClusterServerError(`the Temporal Web UI exited during start-up:\n${child.output()}`);
    if (listening.test(child.output())) {
      const settings = await fetch(`http://127.0.0.1:${o.port}/api/v1/settings`).catch(() => undefined);
      if (settings?.ok) return child;
    }
    if (Date.now() > deadline) {
      await child.stop(5_000);
      throw new ClusterServerError(
        `the Temporal Web UI did not start on port ${o.port} in time:\n${child.output()}`,
      );
    }
    await sleep(200);
  }
}
