/**
 * The OpenAPI contract, tested from outside by schemathesis (property-based, every check: status
 * codes, content types, headers, response schemas, negative data, unsupported methods, auth, use
 * after free, …) against the served `/openapi.json`, the real API and a real worker on the
 * shared dev server. schemathesis lives in `.tools/schemathesis` (`scripts/schemathesis.mjs
 * --ensure`, which `npm test` runs first).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../api/server';
import { OtpClient } from '../client/otp-client';
import { stubActivities, testApplication } from './kits/client';
import { connectTestEnv, startWorker, type RunningWorker } from './harness/temporal';

const ROOT = path.resolve(__dirname, '..');
/** Where `scripts/schemathesis.mjs --ensure` installs it. */
const SCHEMATHESIS_BIN = path.join(ROOT, '.tools', 'schemathesis', 'bin', 'st');
const KEY = 'contract-key-0123456789abcdef';
let env: TestWorkflowEnvironment;
let worker: RunningWorker;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  env = await connectTestEnv();
  worker = await startWorker(env, { activities: stubActivities().activities });
  const otp = new OtpClient({
    client: env.client,
    applications: [testApplication('login', {}, { defaultCountry: 'CH' })],
    destinationHashKey: Buffer.alloc(32, 9),
    taskQueue: worker.taskQueue,
    startWaitMs: 5_000,
  });
  app = createApiServer({ otp, apiKeys: [KEY] });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await worker?.shutdown();
  await env?.teardown();
});

/** Runs schemathesis; answers its exit code and output. */
function schemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(SCHEMATHESIS_BIN, args, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_HOOKS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('OpenAPI contract (schemathesis)', () => {
  it('holds for every response, with every check, with 0 failures', async () => {
    expect(
      existsSync(SCHEMATHESIS_BIN),
      `${SCHEMATHESIS_BIN} missing: run node scripts/schemathesis.mjs --ensure`,
    ).toBe(true);
    const reports = path.join(ROOT, 'test-results', 'schemathesis');
    mkdirSync(reports, { recursive: true });
    const { code, output } = await schemathesis([
      '--config-file',
      path.join(__dirname, 'contract', 'schemathesis.toml'),
      'run',
      `${base}/openapi.json`,
      '--checks',
      'all',
      '--mode',
      'all',
      '--header',
      `Authorization: Bearer ${KEY}`,
      '--max-examples',
      '100',
      '--seed',
      '22',
      '--workers',
      '2',
      '--request-timeout',
      '30',
      '--report',
      'junit',
      '--report-dir',
      reports,
      '--generation-database',
      'none',
      '--no-color',
    ]);
    // The summary (phases, test cases, failures) is what a person reads: printed either way.
    console.log(output.slice(output.lastIndexOf('SUMMARY') - 40));
    expect(code, output).toBe(0);
    expect(output).toMatch(/No issues found|passed/i);
  }, 900_000);
});
