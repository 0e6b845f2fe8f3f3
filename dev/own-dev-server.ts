/**
 * Proof that the Temporal dev server answering is the one we started. A dev server whose port
 * was taken dies at once, but a readiness probe on that port then reaches the other process's
 * server and the stack silently joins it (two stacks' workers on one task queue, PINs landing
 * in the wrong inbox). So every dev server we start gets one more namespace, unique to this
 * start (`--namespace otpflow-probe-…`), and we ask the server for it: a server that does not
 * know it is someone else's.
 */
import { randomBytes } from 'node:crypto';
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TemporalCliResolution } from '../scripts/temporal-cli';

const NOT_FOUND = 5;

/** Thrown when the server answering on our port is not the one we started. */
export class ForeignServerError extends Error {
  override readonly name = 'ForeignServerError';
  readonly code = 'FOREIGN_SERVER';
}

/** A namespace name no other server has: `otpflow-probe-<12 hex>`. */
export function probeNamespace(): string {
  return `otpflow-probe-${randomBytes(6).toString('hex')}`;
}

/**
 * Resolves when the server behind `connection` knows `probe`; throws `ForeignServerError`
 * naming `address` when it knows `namespace` (created at start-up together with the probe, so
 * the server is up) but not the probe. Other errors (not ready yet) pass through. With
 * `deleteProbe`, the probe namespace is deleted once it has answered (for servers whose state
 * is kept or whose Web UI people look at).
 */
export async function proveOwnServer(
  connection: Connection,
  probe: string,
  address: string,
  { namespace = 'default', deleteProbe = false }: { namespace?: string; deleteProbe?: boolean } = {},
): Promise<void> {
  await connection.workflowService.describeNamespace({ namespace });
  try {
    await connection.workflowService.describeNamespace({ namespace: probe });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === NOT_FOUND) {
      throw new ForeignServerError(
        `the Temporal server answering on ${address} is not the one just started: another process holds that port`,
      );
    }
    throw err;
  }
  if (deleteProbe)
    await connection.operatorService.deleteNamespace({ namespace: probe }).catch(() => undefined);
}

/** The SDK's executable option for a resolved CLI: the binary we have, or the SDK's download. */
export function executableFor(
  cli: TemporalCliResolution,
): { type: 'existing-path'; path: string } | { type: 'cached-download' } {
  return cli.path ? { type: 'existing-path', path: cli.path } : { type: 'cached-download' };
}

type LocalOptions = NonNullable<Parameters<typeof TestWorkflowEnvironment.createLocal>[0]>;

/**
 * `TestWorkflowEnvironment.createLocal`, proven to be connected to the server it started (the
 * tests' shared server, the chaos suite's own, the bench's). Throws `ForeignServerError` (after
 * tearing its own server down) when another server holds the port.
 */
export async function createOwnLocalServer(options: LocalOptions): Promise<TestWorkflowEnvironment> {
  const probe = probeNamespace();
  const env = await TestWorkflowEnvironment.createLocal({
    ...options,
    server: { ...options.server, extraArgs: [...(options.server?.extraArgs ?? []), '--namespace', probe] },
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      // Headless and mostly in memory: the probe namespace stays (deleting it makes the server log errors).
      await proveOwnServer(env.connection, probe, env.address, { namespace: env.namespace ?? 'default' });
      return env;
    } catch (err) {
      if (err instanceof ForeignServerError || Date.now() > deadline) {
        await env.teardown().catch(() => undefined);
        throw err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
