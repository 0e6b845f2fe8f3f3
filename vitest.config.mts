import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The fast lane (`npm run test:unit`): suites that need no Temporal server. They still run
 * real parts — the emulator over loopback HTTP, the Infobip client, the activities under
 * Temporal's MockActivityEnvironment — but no dev server, so the lane has no global setup.
 */
const UNIT = [
  'test/activities-send.test.ts',
  'test/activities-setup.test.ts',
  'test/activities-units.test.ts',
  'test/activities-webhook.test.ts',
  'test/api-keys.test.ts',
  'test/bench-report.test.ts',
  'test/boundaries.test.ts',
  'test/chaos/bad-input-config.test.ts',
  'test/chaos/bad-input-emulator.test.ts',
  'test/chaos/validation-properties.test.ts',
  'test/cli-dispatch.test.ts',
  'test/cli-guard.test.ts',
  'test/client-units.test.ts',
  'test/client-webhook.test.ts',
  'test/codec.test.ts',
  'test/compose.test.ts',
  'test/cluster-tools.test.ts',
  'test/compose-cluster.test.ts',
  'test/config.test.ts',
  'test/destination.test.ts',
  'test/emulator-*.test.ts',
  'test/first-day.test.ts',
  'test/guard-domain.test.ts',
  'test/infobip-*.test.ts',
  'test/package-engines.test.ts',
  'test/policy-schema.test.ts',
  'test/temporal-cli.test.ts',
  'test/worker-logging.test.ts',
];

// Tests start real processes (a Temporal dev server, emulators, workers): forks isolate
// native Temporal Runtime state per file, and the timeouts leave room for a slow, shared machine.
// The unit and integration projects run together; then, alone (groupOrder), the cluster suite on
// PostgreSQL, a real Temporal server and worker and API processes, which needs the whole machine.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report feeds the 'N passed, N failed' line that .ci/run prints: one run, every project.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, isolate: false, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT, 'test/cluster/**'],
          // One Temporal dev server for the whole run (see the file).
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
