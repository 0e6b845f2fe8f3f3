/**
 * `otpflow cluster` as a person runs it (`node bin/otpflow.js cluster`, here on free ports and a
 * temporary data folder): a verification end to end through the printed URLs (started on one
 * API instance, checked on the other), the Web UI wired to the codec endpoint, a dead worker
 * stopping everything with a message that names it, the data kept for the next run, Ctrl-C
 * leaving no process behind, `--clean` starting afresh, and taken ports refused up front.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { alive, stackProcessEnv } from '../harness/processes';
import { clusterApplications, freeClusterPorts, writeApplications } from './support';

const ROOT = path.join(__dirname, '..', '..');

interface Launch {
  child: ChildProcess;
  out: string;
  err: string;
  exited: Promise<number | null>;
}

/** The block's value for `label` (first word), e.g. the URL after `otpflow API 1`. */
function field(out: string, label: string): string {
  const m = new RegExp(`^  ${label}\\s+(\\S+)`, 'm').exec(out);
  if (!m) throw new Error(`no "${label}" in:\n${out}`);
  return m[1]!.replace(/,$/, '');
}

/** Every pid the block names (server, PostgreSQL, APIs, workers). */
function pids(out: string): number[] {
  return [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
}

const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-launcher-'));
// PostgreSQL runs as the postgres user when we are root: it must be able to enter the folder.
chmodSync(dir, 0o755);
const configFile = writeApplications(dir, clusterApplications());
let ports: Awaited<ReturnType<typeof freeClusterPorts>>;
const running: Launch[] = [];

afterAll(async () => {
  for (const l of running) if (l.child.exitCode === null) l.child.kill('SIGINT');
  await Promise.all(running.map((l) => l.exited));
  rmSync(dir, { recursive: true, force: true });
});

function launch(extra: string[] = []): Launch {
  const flags: Record<string, number> = {
    '--port': ports.port,
    '--postgres-port': ports.postgresPort,
    '--ui-port': ports.uiPort,
    '--api-port': ports.apiPort,
    '--emulator-port': ports.emulatorPort,
    '--codec-port': ports.codecPort,
    '--metrics-port': ports.metricsPort,
  };
  const args = [
    'bin/otpflow.js',
    'cluster',
    '--data',
    path.join(dir, 'data'),
    ...Object.entries(flags).flatMap(([k, v]) => [k, String(v)]),
    ...extra,
  ];
  const b = inject('clusterBinaries');
  const env = stackProcessEnv({
    OTPFLOW_CONFIG: configFile,
    TEMPORAL_SERVER_PATH: b.server,
    TEMPORAL_SQL_TOOL_PATH: b.sqlTool,
    TEMPORAL_UI_SERVER_PATH: b.ui,
    TEMPORAL_SCHEMA_DIR: b.schemaDir,
    OTPFLOW_POSTGRES_BIN: b.postgresBin,
  });
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const l: Launch = {
    child,
    out: '',
    err: '',
    exited: new Promise((r) => child.once('exit', (c) => r(c))),
  };
  child.stdout!.on('data', (d: Buffer) => (l.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (l.err += d.toString()));
  running.push(l);
  return l;
}

/** Waits for the block; fails with the launcher's output if it exits first. */
async function untilRunning(l: Launch): Promise<void> {
  while (!l.out.includes('Try it:')) {
    if (l.child.exitCode !== null)
      throw new Error(`otpflow cluster exited ${l.child.exitCode}:\n${l.out}\n${l.err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function api(l: Launch, instance: number, method: string, p: string, body?: unknown) {
  const res = await fetch(field(l.out, `otpflow API ${instance}`) + p, {
    method,
    headers: {
      Authorization: `Bearer ${field(l.out, 'API key')}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** SIGINT, then every process the block named must be gone. */
async function interrupt(l: Launch): Promise<void> {
  const named = pids(l.out);
  l.child.kill('SIGINT');
  expect(await l.exited).toBe(0);
  for (const pid of named) expect(alive(pid), `pid ${pid} still running`).toBe(false);
}

describe('otpflow cluster (npm run cluster)', () => {
  let id: string;

  it('runs a verification through the printed URLs: started on API 1, checked on API 2', async () => {
    ports = await freeClusterPorts(2, 2);
    const l = launch();
    await untilRunning(l);
    expect(l.out).toMatch(/all services in one process/);
    const phone = '+41791230045';
    const started = await api(l, 1, 'POST', '/v1/verifications', { application: 'verify', to: phone });
    expect(started).toMatchObject({ status: 201, body: { status: 'PENDING', channel: 'SMS' } });
    id = String(started.body.id);
    const inbox = (await (
      await fetch(`${field(l.out, 'Infobip emulator')}/emulator/messages?to=${phone.slice(1)}`)
    ).json()) as { messages: { pin: string }[] };
    const pin = inbox.messages[0]!.pin;
    expect(await api(l, 2, 'POST', `/v1/verifications/${id}/check`, { code: pin })).toEqual({
      status: 200,
      body: { status: 'VERIFIED', verified: true, attemptsRemaining: 5 },
    });
    // The emulator pushes the SMS's delivery report to API 1's ingress, which takes it.
    const ingress = field(l.out, 'Delivery reports');
    expect(ingress).toBe(`${field(l.out, 'otpflow API 1')}/v1/delivery-reports`);
    const pushed = async () =>
      (
        (await (
          await fetch(`${field(l.out, 'Infobip emulator')}/emulator/reports?to=${phone.slice(1)}`)
        ).json()) as { reports: { state: string; lastHttpStatus?: number }[] }
      ).reports;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(await pushed()).some((r) => r.state === 'DELIVERED')) await sleep(250);
    expect((await pushed()).map((r) => [r.state, r.lastHttpStatus])).toContainEqual(['DELIVERED', 200]);
    // The Web UI is this cluster's, and decodes payloads through the printed codec endpoint.
    const ui = field(l.out, 'Temporal Web UI');
    const settings = (await (await fetch(`${ui}/api/v1/settings`)).json()) as {
      Codec?: { Endpoint?: string };
    };
    expect(settings.Codec?.Endpoint).toBe(field(l.out, 'Codec endpoint'));
    expect((await fetch(ui)).status).toBe(200);
    const preflight = await fetch(`${field(l.out, 'Codec endpoint')}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: ui, 'Access-Control-Request-Headers': 'x-namespace' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ui);

    // A worker dies: everything stops, the message names it, the command exits 1.
    const worker = Number(/^ {2}Worker 1\s+pid (\d+)/m.exec(l.out)![1]);
    const named = pids(l.out);
    process.kill(worker, 'SIGKILL');
    expect(await l.exited).toBe(1);
    expect(l.err).toContain(`worker 1 (pid ${worker}) was killed by SIGKILL`);
    expect(l.err).toContain('otpflow cluster: stopped.');
    for (const pid of named) expect(alive(pid), `pid ${pid} still running`).toBe(false);
  });

  it('keeps the data for the next run, and stops everything on Ctrl-C', async () => {
    const l = launch();
    await untilRunning(l);
    expect(l.out).toMatch(/applications up to date: verify, expire, fallback, lock/);
    expect((await api(l, 2, 'GET', `/v1/verifications/${id}`)).body).toMatchObject({
      id,
      status: 'VERIFIED',
    });
    await interrupt(l);
  });

  it('starts afresh with --clean', async () => {
    const l = launch(['--clean', '--workers', '1', '--api-instances', '1', '--ui-port', '0']);
    await untilRunning(l);
    expect(l.out).toMatch(/Temporal Web UI\s+off/);
    expect((await api(l, 1, 'GET', `/v1/verifications/${id}`)).status).toBe(404);
    await interrupt(l);
  });

  it('refuses a taken port before anything starts, naming its flag', async () => {
    const held = createServer();
    await new Promise<void>((r) => held.listen(ports.postgresPort, '127.0.0.1', () => r()));
    try {
      const l = launch();
      expect(await l.exited).toBe(1);
      expect(l.err).toContain(
        `port ${ports.postgresPort} (PostgreSQL) is already in use; choose another with --postgres-port`,
      );
      expect(l.err).not.toContain('starting PostgreSQL');
    } finally {
      held.close();
    }
  });
});
