import { configDefaults, defineConfig } from 'vitest/config';

// Tests start real processes (a Temporal dev server, emulators, workers): forks isolate
// native Temporal Runtime state per file, and the timeouts leave room for a slow, shared machine.
// Two projects run one after the other (groupOrder): the suites on the shared dev server, then
// the cluster suite on PostgreSQL, a real Temporal server and worker and API processes, which
// needs the whole machine to itself.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report feeds the 'N passed, N failed' line that .ci/run prints: one run, both projects.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/cluster/**'],
          globalSetup: ['test/harness/global-setup.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          globalSetup: ['test/cluster/global-setup.ts'],
          maxWorkers: 1,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
