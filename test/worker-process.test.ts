/**
 * `otpflow setup` and `otpflow worker` as real child processes: setup is idempotent, the
 * worker logs JSON without personal data, serves Prometheus metrics, and on SIGTERM lets an
 * in-flight activity finish before it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createDataConverter, toJsonPayloads } from '../codec';
import { createEmulator, type Emulator } from '../emulator';
import { loadConfig } from '../config';
import { OtpClient } from '../client/otp-client';
import { randomPhone } from './kits/client';
import { connectTestEnv, uniqueTaskQueue } from './harness/temporal';
import { inject } from 'vitest';
import { freePort } from './harness/ports';

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'otpflow.js');

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r: Run = {
    child,
    stdout: [],
    stderr: [],
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    r.stdout.push(...lines);
  });
  child.stderr!.on('data', (d: Buffer) => r.stderr.push(d.toString()));
  return r;
}

async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** One line of otpflow's log format: pino JSON, a level name, an ISO time. */
function expectLogLine(line: string): Record<string, unknown> {
  const record = JSON.parse(line) as Record<string, unknown>;
  expect(LEVELS, line).toContain(record.level);
  expect(record.time, line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(record.service, line).toBe('otpflow');
  return record;
}

describe('otpflow setup and worker processes', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let emu: Emulator;
  let baseEnv: Record<string, string>;

  beforeAll(async () => {
    env = await connectTestEnv();
    emu = await createEmulator({ managementLimits: false });
    baseEnv = {
      HOME: '/nonexistent',
      INFOBIP_BASE_URL: emu.url,
      INFOBIP_API_KEY: emu.apiKeys[0]!,
      OTPFLOW_DESTINATION_HASH_KEY: randomBytes(32).toString('hex'),
      OTPFLOW_TASK_QUEUE: uniqueTaskQueue('proc'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    };
  });
  afterAll(async () => {
    await emu?.close();
    await env?.teardown();
  });

  it('setup creates, then finds nothing to change; --dry-run changes nothing; bad config is one clear message', async () => {
    const dry = run(['setup', '--dry-run'], baseEnv);
    expect(await dry.exited).toBe(0);
    expect(dry.stdout.join('\n')).toMatch(/login: would create application login/);
    expect(emu.stats.requests()['POST /2fa/2/applications'] ?? 0).toBe(0);

    const first = run(['setup'], baseEnv);
    expect(await first.exited).toBe(0);
    const out = first.stdout.join('\n');
    expect(out).toMatch(/login: create application login \(/);
    expect(out).toMatch(/login: create template SMS\/en/);
    expect(out).toMatch(/login: create template VOICE\/de/);

    const second = run(['setup'], baseEnv);
    expect(await second.exited).toBe(0);
    expect(second.stdout.join('\n')).toMatch(/login: up to date[\s\S]*Nothing to change\./);

    const bad = run(['setup'], { ...baseEnv, INFOBIP_BASE_URL: 'not a url' });
    expect(await bad.exited).toBe(78);
    const err = bad.stderr.join('');
    expect(err).toContain('INFOBIP_BASE_URL: must be an http(s) URL');
    expect(err).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('worker: JSON logs without personal data, metrics, graceful shutdown with an in-flight send', async () => {
    const metricsPort = await freePort();
    const codecPort = await freePort();
    const encryption = {
      OTPFLOW_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      OTPFLOW_CODEC_PORT: String(codecPort),
      OTPFLOW_CODEC_API_KEYS: 'operator-key-0123456789',
    };
    const worker = run(['worker'], {
      ...baseEnv,
      ...encryption,
      OTPFLOW_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      OTPFLOW_SHUTDOWN_GRACE_SECONDS: '15',
    });
    try {
      await until('worker started', () => worker.stdout.some((l) => l.includes('"worker started"')), 60_000);
      const config = loadConfig({ ...baseEnv, ...encryption });
      const client = new Client({
        connection: env.connection,
        namespace: env.namespace ?? 'default',
        dataConverter: createDataConverter(config),
      });
      const clientOptions = {
        client,
        applications: config.applications,
        destinationHashKey: config.destinationHashKey,
        taskQueue: config.temporal.taskQueue,
      };
      const otp = new OtpClient(clientOptions);
      const otpShortWait = new OtpClient({ ...clientOptions, startWaitMs: 8000 });

      // A first verification, to see logs and metrics.
      const phone = randomPhone();
      const first = await otp.start({ application: 'login', destination: phone });
      const pin = await until('first PIN', () => emu.inbox.latest(phone)?.pin);
      await until('PENDING', async () =>
        (await otp.status(first.id)).status === 'PENDING' ? true : undefined,
      );
      expect(await otp.check(first.id, pin)).toMatchObject({ verified: true });

      // Encrypted in history; the worker's codec endpoint decodes it for an operator with a key.
      const history = await env.client.workflow.getHandle(first.id).fetchHistory();
      const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
      expect(raw).not.toContain(phone.slice(1));
      expect(raw).not.toContain(pin);
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
      const body = JSON.stringify(
        toJsonPayloads(input.map((p) => ({ metadata: p.metadata ?? {}, data: p.data ?? new Uint8Array() }))),
      );
      const decode = (auth?: string) =>
        fetch(`http://127.0.0.1:${codecPort}/decode`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) },
          body,
        });
      expect((await decode()).status).toBe(401);
      const decoded = (await (await decode('Bearer operator-key-0123456789')).json()) as {
        payloads: { data: string }[];
      };
      expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()).toContain(phone);

      const metrics = await until('metrics', async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return text.includes('otpflow_check_latency') &&
          text.includes('otpflow_pins_sent') &&
          text.includes('otpflow_verification_outcomes')
          ? text
          : undefined;
      });
      expect(metrics).toMatch(/otpflow_verifications_started/);
      expect(metrics).toMatch(/otpflow_verification_outcomes\S*\{[^}]*status="VERIFIED"/);
      expect(metrics).toMatch(/temporal_/);

      // A second one whose send Infobip answers slowly: SIGTERM while it is in flight.
      emu.faults.add({
        match: { method: 'POST', path: '/2fa/2/pin' },
        times: 1,
        action: { latencyMs: 3000 },
      });
      const phone2 = randomPhone();
      const sendsBefore = emu.stats.requests()['POST /2fa/2/pin'] ?? 0;
      const starting = otpShortWait.start({ application: 'login', destination: phone2 });
      // The emulator holds the send for 3 s: once it has the request, the activity is in flight.
      await until('send in flight', () =>
        (emu.stats.requests()['POST /2fa/2/pin'] ?? 0) > sendsBefore ? true : undefined,
      );
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      // No worker is left to see the send complete: start answers what Temporal knows of the flow.
      const second = await starting;
      expect(second).toMatchObject({ status: 'LOOKUP', created: true });
      expect(second.expiresAt).toBeUndefined();
      const history2 = await env.client.workflow.getHandle(second.id).fetchHistory();
      const completed = history2.events?.filter((e) => e.activityTaskCompletedEventAttributes) ?? [];
      expect(completed.length).toBe(1);
      expect(emu.inbox.messages(phone2)).toHaveLength(1);

      // Nothing but JSON lines of the one format on stdout.
      const lines = worker.stdout.filter((l) => l.trim() !== '');
      expect(lines.length).toBeGreaterThan(3);
      for (const l of lines) expectLogLine(l);
      const all = worker.stdout.join('\n') + worker.stderr.join('');
      for (const secret of [phone.slice(1), phone2.slice(1), pin, phone.slice(-7)])
        expect(all).not.toContain(secret);
      expect(all).toContain('"worker stopped"');
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
  });

  it('api: the same JSON log lines as the worker on stdout, nothing plain', async () => {
    const api = run(['api', '--port', '0'], { ...baseEnv, OTPFLOW_API_KEYS: 'api-key-0123456789abcdef' });
    try {
      const listening = await until(
        'API listening',
        () => api.stdout.find((l) => l.includes('"API listening"')),
        60_000,
      );
      const { address } = expectLogLine(listening) as { address: string };
      const res = await fetch(`${address}/v1/verifications/otp-login-x`, {
        headers: { authorization: 'Bearer api-key-0123456789abcdef' },
      });
      expect(res.status).toBe(404);
      await until('a request log', () => api.stdout.some((l) => l.includes('"request completed"')));
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
      const lines = api.stdout.filter((l) => l.trim() !== '');
      expect(lines.length).toBeGreaterThan(2);
      for (const l of lines) expectLogLine(l);
    } finally {
      if (api.child.exitCode === null) api.child.kill('SIGKILL');
    }
  });
});
