import { defineConfig } from 'vitest/config';

// Tests start real processes (a Temporal dev server, emulators, workers): forks isolate
// native Temporal Runtime state per file, and the timeouts leave room for a slow, shared machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/harness/global-setup.ts'],
    // The JSON report feeds the 'N passed, N failed' line that .ci/run prints.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
