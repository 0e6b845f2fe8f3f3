/**
 * The cluster suite's setup: find (or build, on a fresh clone) what the cluster runs —
 * PostgreSQL, the Temporal server, its SQL tool and the Web UI server — once for the run.
 * `npm test` and `npm run test:cluster` have already done so in their `pretest` step.
 */
import type { TestProject } from 'vitest/node';
import { resolveClusterBinaries, type ClusterBinaries } from '../../dev/cluster/binaries';
import { ensurePostgres } from '../../scripts/cluster-tools';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterBinaries: ClusterBinaries;
  }
}

export default function setup(project: TestProject): void {
  ensurePostgres();
  const binaries = resolveClusterBinaries({ build: true, ui: true });
  console.error(`Cluster binaries: ${binaries.server}, PostgreSQL ${binaries.postgresBin}`);
  project.provide('clusterBinaries', binaries);
}
