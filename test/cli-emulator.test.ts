/**
 * The `otpflow` CLI end to end with the real parts: a worker running the real activities
 * against the Infobip emulator; the PIN is read from the emulator's inbox over HTTP
 * (`GET /emulator/messages?to=`), as a developer does by hand.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStack, testApplication, testNumber, type Stack } from './harness/stack';
import { connectTestEnv } from './harness/temporal';

const ROOT = path.resolve(__dirname, '..');
let env: TestWorkflowEnvironment;
let stack: Stack;
let dir: string;
let cliEnv: NodeJS.ProcessEnv;
const app = testApplication('cli-e2e');

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startStack(env, { applications: [app] });
  dir = mkdtempSync(path.join(tmpdir(), 'otpflow-cli-e2e-'));
  const configFile = path.join(dir, 'otpflow.config.json');
  writeFileSync(configFile, JSON.stringify({ applications: [app] }));
  cliEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    OTPFLOW_CONFIG: configFile,
    OTPFLOW_TASK_QUEUE: stack.worker.taskQueue,
    OTPFLOW_DESTINATION_HASH_KEY: 'cd'.repeat(32),
  };
});
afterAll(async () => {
  await stack?.close();
  await env?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function otpflow(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin', 'otpflow.js'), ...args],
      { cwd: dir, env: cliEnv, timeout: 45_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

async function inboxPin(to: string): Promise<string> {
  const res = await fetch(`${stack.emulator.url}/emulator/messages?to=${encodeURIComponent(to)}`);
  const { messages } = (await res.json()) as { messages: { pin: string; text: string }[] };
  expect(messages).toHaveLength(1);
  expect(messages[0]?.text).toContain(messages[0]?.pin);
  return messages[0]?.pin as string;
}

// Each command is a new Node process that loads the Temporal client: seconds each on a busy machine.
describe('otpflow CLI with the emulator and real activities', { timeout: 240_000 }, () => {
  it('starts, takes a wrong code, verifies with the PIN from the inbox, and shows the outcome', async () => {
    const to = testNumber();
    const start = await otpflow(['start', to, '--json']);
    expect(start.code, start.stderr).toBe(0);
    const started = JSON.parse(start.stdout) as { id: string; status: string; expiresAt: string };
    expect(started).toMatchObject({ status: 'PENDING', created: true });
    const pin = await inboxPin(to);

    const wrong = await otpflow(['verify', started.id, pin === '000000' ? '111111' : '000000']);
    expect(wrong).toMatchObject({ code: 1, stdout: '✘ Wrong code: 2 attempts left.\n' });
    const right = await otpflow(['verify', started.id, pin]);
    expect(right).toMatchObject({ code: 0, stdout: `✔ Verified: ${started.id}\n` });

    await env.client.workflow.getHandle(started.id).result();
    const status = await otpflow(['status', started.id, '--json']);
    const view = JSON.parse(status.stdout) as { status: string; timeline: { kind: string }[] };
    expect(view.status).toBe('VERIFIED');
    expect(view.timeline.map((t) => t.kind)).toEqual(['LOOKUP', 'SEND', 'CHECK', 'CHECK', 'STATUS']);
    expect(status.stdout).not.toContain(pin);
    expect(status.stdout).not.toContain(to.slice(1));
  });
});
