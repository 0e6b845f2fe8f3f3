/**
 * Starts ONE Temporal dev server for the whole test run and bundles the workflows once.
 *
 * Why one shared server rather than one per file: the dev server takes seconds to start and
 * the SDK gives it only 5 s before failing, which parallel starts on a loaded 2-core machine
 * can miss; sharing one removes both costs. Tests stay independent because each gets its own
 * task queue and workflow IDs (see `uniqueTaskQueue`). Suites that must stop or restart a
 * server (the chaos suite) start their own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import {
  describeResolution,
  PROJECT_ROOT,
  resolveTemporalCli,
  systemProbe,
} from '../../scripts/temporal-cli';
import { SEARCH_ATTRIBUTES } from '../../domain/constants';
import { createOwnLocalServer, executableFor } from '../../dev/own-dev-server';
import { devServerExtraArgs } from '../../dev/server-flags';
import { freePort } from './ports';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    temporalCliPath: string;
    workflowBundlePath: string;
    /** The dev server's Prometheus endpoint. */
    temporalMetricsUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = resolveTemporalCli(systemProbe, { build: true });
  console.error(describeResolution(cli));
  const metricsPort = await freePort();
  // Proven ours: a server that took the port first would otherwise be joined silently.
  const env = await createOwnLocalServer({
    server: {
      executable: executableFor(cli),
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: [...devServerExtraArgs, '--metrics-port', String(metricsPort)],
    },
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-test-'));
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(PROJECT_ROOT, 'workflows', 'index.ts'),
    logger: quietBundlerLogger,
  });
  writeFileSync(bundlePath, code);

  project.provide('temporalAddress', env.address);
  project.provide('temporalNamespace', env.namespace ?? 'default');
  project.provide('temporalCliPath', cli.path ?? '');
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalMetricsUrl', `http://127.0.0.1:${metricsPort}/metrics`);

  return async () => {
    await env.teardown();
    rmSync(dir, { recursive: true, force: true });
  };
}

const noop = () => undefined;
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
  log: noop,
};
