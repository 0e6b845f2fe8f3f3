/**
 * The `otpflow` CLI as a child process (`node bin/otpflow.js …`) against the shared dev server
 * and a real worker with stub activities: output people see, `--json`, and exit codes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { createDataConverter } from '../codec/data-converter';
import { WORKFLOW_TYPE } from '../client/otp-client';
import { prepareStart, workflowStartOptions } from '../client/start-input';
import { randomPhone, STUB_CODE, stubActivities, testApplication } from './kits/client';
import { connectTestEnv, startWorker, type RunningWorker } from './harness/temporal';

const ROOT = path.resolve(__dirname, '..');
let env: TestWorkflowEnvironment;
let worker: RunningWorker;
let dir: string;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  env = await connectTestEnv();
  worker = await startWorker(env, { activities: stubActivities().activities });
  dir = mkdtempSync(path.join(tmpdir(), 'otpflow-cli-'));
  const configFile = path.join(dir, 'otpflow.config.json');
  writeFileSync(
    configFile,
    JSON.stringify({ applications: [testApplication('login'), testApplication('other')] }),
  );
  cliEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    OTPFLOW_CONFIG: configFile,
    OTPFLOW_TASK_QUEUE: worker.taskQueue,
    OTPFLOW_DESTINATION_HASH_KEY: 'ab'.repeat(32),
  };
});
afterAll(async () => {
  await worker?.shutdown();
  await env?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function otpflow(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin', 'otpflow.js'), ...args],
      { cwd: dir, env: { ...cliEnv, ...extraEnv }, timeout: 45_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// Each command is a new Node process that loads the Temporal client: seconds each on a busy machine.
describe('otpflow CLI', { timeout: 240_000 }, () => {
  it('prints help with the exit codes, and refuses unknown commands and options with exit 2', async () => {
    const help = await otpflow(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toMatch(/4 {2}no verification with that ID/);
    const verifyHelp = await otpflow(['verify', '--help']);
    expect(verifyHelp).toMatchObject({ code: 0 });
    expect(verifyHelp.stdout).toContain('Usage: otpflow verify <id> <code>');
    expect((await otpflow(['frobnicate'])).code).toBe(2);
    const apiHelp = await otpflow(['api', '--help']);
    expect(apiHelp).toMatchObject({ code: 0 });
    expect(apiHelp.stdout).toContain('Usage: otpflow api');
    const badOption = await otpflow(['start', randomPhone(), '--colour', 'red']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("Unknown option '--colour'");
  });

  it('runs a verification: start, attach, wrong code (1), right code (0), finished (1)', async () => {
    const to = randomPhone();
    const start = await otpflow(['start', to, '--app', 'login']);
    expect(start.code, start.stderr).toBe(0);
    const id = /Verification started: (otp-login-[0-9a-f]{32})/.exec(start.stdout)?.[1] as string;
    expect(id).toBeDefined();
    expect(start.stdout).toContain(`SMS to ${to.slice(0, 3)}•••••${to.slice(-4)}`);
    expect(start.stdout).toMatch(/expires\s+\d{4}-\d\d-\d\dT.*\(in 5 min\)/);
    expect(start.stdout).not.toContain(to);

    const again = await otpflow(['start', to, '--app', 'login', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id, status: 'PENDING', created: false });

    const wrong = await otpflow(['verify', id, '000000']);
    expect(wrong).toMatchObject({ code: 1, stdout: '✘ Wrong code: 2 attempts left.\n' });
    const right = await otpflow(['verify', id, STUB_CODE]);
    expect(right).toMatchObject({ code: 0, stdout: `✔ Verified: ${id}\n` });
    await env.client.workflow.getHandle(id).result();
    const late = await otpflow(['verify', id, STUB_CODE, '--json']);
    expect(late.code).toBe(1);
    expect(JSON.parse(late.stdout)).toEqual({
      error: { code: 'OTP_ALREADY_FINISHED', message: expect.any(String), status: 'VERIFIED' },
    });
    const status = await otpflow(['status', id]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/status\s+VERIFIED/);
  });

  it('exits 2 for a malformed code or an invalid number, 4 for an unknown ID', async () => {
    const { stdout } = await otpflow(['start', randomPhone(), '--app', 'login', '--json']);
    const { id } = JSON.parse(stdout) as { id: string };
    const malformed = await otpflow(['verify', id, '12ab']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('code: must be 6 characters long');
    const badNumber = await otpflow(['start', '+4112', '--app', 'login']);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain('to: ');
    const unknownApp = await otpflow(['start', randomPhone(), '--app', 'nope']);
    expect(unknownApp.code).toBe(2);
    expect(unknownApp.stderr).toContain('application: unknown application "nope"');
    const unknown = await otpflow(['status', 'otp-login-ffffffffffffffffffffffffffffffff']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('no verification with ID');
  });

  it('refuses a resend during the cooldown (1), cancels (0), lists without destinations', async () => {
    const to = randomPhone();
    const { stdout } = await otpflow(['start', to, '--app', 'other', '--json']);
    const { id } = JSON.parse(stdout) as { id: string };
    const resend = await otpflow(['resend', id]);
    expect(resend.code).toBe(1);
    expect(resend.stderr).toMatch(/Resend refused \(COOLDOWN\)\. Try again in \d+ s\./);

    for (let i = 0; i < 50; i++) {
      const found = await env.client.workflow.count(`WorkflowId="${id}" AND OtpStatus="PENDING"`);
      if (found.count > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const list = await otpflow(['list', '--status', 'pending', '--app', 'other']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+STATUS\s+APP\s+CHANNEL\s+STARTED/);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+PENDING\\s+other\\s+SMS`));
    expect(list.stdout).not.toContain(to.slice(1));

    const cancel = await otpflow(['cancel', id]);
    expect(cancel).toMatchObject({ code: 0, stdout: `Cancelled: ${id}\n` });
    const verify = await otpflow(['verify', id, STUB_CODE]);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain('already finished as CANCELLED');
  });

  it("start --ttl shortens the lifetime within the application's TTL, to try expiry", async () => {
    const { stdout, code } = await otpflow([
      'start',
      randomPhone(),
      '--app',
      'login',
      '--ttl',
      '2',
      '--json',
    ]);
    expect(code).toBe(0);
    const { id, expiresAt } = JSON.parse(stdout) as { id: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThan(3_000);
    await env.client.workflow.getHandle(id).result();
    const status = await otpflow(['status', id]);
    expect(status.stdout).toMatch(/status\s+EXPIRED/);
    const tooLong = await otpflow(['start', randomPhone(), '--app', 'login', '--ttl', '100000']);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('ttlSeconds: must be an integer from 1 to 300');
  });

  it('says plainly that the encryption key is missing when verifications are encrypted (exit 78)', async () => {
    const app = testApplication('login');
    const { id, input } = prepareStart([app], Buffer.from('ab'.repeat(32), 'hex'), { to: randomPhone() });
    const encrypting = new Client({
      connection: env.connection,
      namespace: inject('temporalNamespace'),
      dataConverter: createDataConverter({ encryptionKeys: [{ id: 'k1', key: randomBytes(32) }] }),
    });
    // No worker on this queue: the flow just sits there, encrypted.
    await encrypting.workflow.start(WORKFLOW_TYPE, workflowStartOptions(id, 'no-worker-here', input));
    try {
      for (const args of [
        ['status', id],
        ['list', '--app', 'login', '--limit', '1000'],
      ]) {
        let run = await otpflow(args);
        // The list needs the flow to be visible first.
        for (let i = 0; i < 50 && run.code === 0; i++) {
          await new Promise((r) => setTimeout(r, 200));
          run = await otpflow(args);
        }
        expect(run.code, args.join(' ')).toBe(78);
        expect(run.stderr).toContain(
          'OTPFLOW_ENCRYPTION_KEYS: is not set, but the verifications are encrypted',
        );
        expect(run.stderr).not.toContain('Unknown encoding');
      }
    } finally {
      await encrypting.workflow.getHandle(id).terminate('test done');
    }
  });

  it('exits 3 when Temporal is unreachable, 78 for a broken configuration', async () => {
    const down = await otpflow(['status', 'otp-login-x'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
    const noKey = await otpflow(['start', randomPhone()], { OTPFLOW_DESTINATION_HASH_KEY: '' });
    expect(noKey.code).toBe(78);
    expect(noKey.stderr).toContain('OTPFLOW_DESTINATION_HASH_KEY');
  });
});
