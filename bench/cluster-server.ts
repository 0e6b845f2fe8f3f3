/**
 * The bench's server for `--server cluster`: the Temporal server 1.29.1 on PostgreSQL as
 * `otpflow cluster` runs it (one process, otpflow's dynamic config), in a fresh data folder on
 * free ports, without the launcher's workers, API instances, emulator or UI (the bench brings
 * its own workers and emulator). Its CPU is the server's plus PostgreSQL's whole process tree.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveClusterBinaries, TEMPORAL_SERVER_VERSION } from '../dev/cluster/binaries';
import { findFreeClusterPorts, startCluster } from '../dev/cluster/cluster';
import { treeCpuSeconds } from './machine';

/** A running bench server. */
export interface BenchServer {
  env: TestWorkflowEnvironment;
  /** How the report names it. */
  label: string;
  /** CPU the server has used so far (all its processes), seconds; undefined where unreadable. */
  cpuSeconds(): number | undefined;
  close(): Promise<void>;
}

/** Starts PostgreSQL and the Temporal server on it with `dynamicConfig` on top of otpflow's. */
export async function startClusterServer(
  dynamicConfig: Record<string, unknown>,
  log: (m: string) => void,
): Promise<BenchServer> {
  const binaries = resolveClusterBinaries({ build: true, ui: false });
  const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-bench-cluster-'));
  // PostgreSQL runs as the postgres user when we are root: it must be able to enter the folder.
  chmodSync(dir, 0o755);
  try {
    const cluster = await startCluster({
      dataDir: path.join(dir, 'data'),
      ...(await findFreeClusterPorts(0, 0)),
      uiPort: 0,
      workers: 0,
      apis: 0,
      emulator: false,
      encryption: false,
      metricsPort: 0,
      binaries,
      dynamicConfig,
      log,
    });
    const env = await TestWorkflowEnvironment.createFromExistingServer({
      address: cluster.urls.temporalAddress,
      namespace: cluster.namespace,
    });
    return {
      env,
      label: `Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL (all services in one process; CPU = server + PostgreSQL)`,
      cpuSeconds() {
        const server = treeCpuSeconds(cluster.temporal.pid);
        const db = treeCpuSeconds(cluster.postgres.pid);
        return server === undefined || db === undefined ? undefined : server + db;
      },
      async close() {
        await env.teardown();
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
