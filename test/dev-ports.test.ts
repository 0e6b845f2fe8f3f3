/**
 * A local stack never joins another one and never hangs after a failed start (issue 19, items
 * 1 and 2): every port is checked before anything starts and refused with the flag that moves
 * it; a Temporal server that answers on our port but is not the one we started is an error; a
 * start-up that fails after the Temporal Runtime was installed still exits at once.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createOwnLocalServer, ForeignServerError } from '../dev/own-dev-server';
import { checkPorts, PortInUseError } from '../dev/ports';
import { DevServerError, startDevServer } from '../dev/temporal-server';
import { stackProcessEnv } from './harness/processes';
import { freePort } from './harness/ports';

const ROOT = path.join(__dirname, '..');
const sharedPort = () => Number(inject('temporalAddress').split(':').pop());

/** Holds a port with a plain TCP listener until closed. */
async function hold(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs a command and waits for it to exit on its own. A stack that joined another or hangs
 * never exits: after `limitMs` it is interrupted (the test then fails on its output or code).
 */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, limitMs = 90_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const r: Run = { code: null, out: '', err: '' };
    child.stdout.on('data', (d: Buffer) => (r.out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (r.err += d.toString()));
    const timer = setTimeout(() => {
      r.err += '\n[test] still running: interrupted';
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    }, limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      r.code = code;
      resolve(r);
    });
  });
}

const devEnv = (over: NodeJS.ProcessEnv = {}) =>
  stackProcessEnv({ TEMPORAL_CLI_PATH: inject('temporalCliPath'), ...over });

/** `otpflow dev` on free ports, with `over` replacing some of them. */
async function devArgs(over: Record<string, number> = {}): Promise<string[]> {
  const ports: Record<string, number> = {
    '--port': await freePort(),
    '--ui-port': await freePort(),
    '--api-port': await freePort(),
    '--emulator-port': await freePort(),
    '--codec-port': await freePort(),
    '--metrics-port': 0,
    ...over,
  };
  return ['bin/otpflow.js', 'dev', ...Object.entries(ports).flatMap(([k, v]) => [k, String(v)])];
}

describe('otpflow dev refuses ports that are taken, before anything starts', () => {
  it('names the emulator port and --emulator-port, exits 1 at once, starts no Temporal server', async () => {
    const held = await hold();
    try {
      const r = await run(process.execPath, await devArgs({ '--emulator-port': held.port }), devEnv());
      expect(r.code, r.err).toBe(1);
      expect(r.err).toContain(
        `port ${held.port} (Infobip emulator) is already in use; choose another with --emulator-port`,
      );
      expect(r.err).not.toContain('starting the Temporal dev server');
      expect(r.out).not.toContain('is running');
    } finally {
      held.server.close();
    }
  }, 120_000);

  it("does not join another stack's Temporal server: refuses its port with --port", async () => {
    const taken = sharedPort();
    const r = await run(process.execPath, await devArgs({ '--port': taken }), devEnv());
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain(`port ${taken} (Temporal gRPC) is already in use; choose another with --port`);
    expect(r.out).not.toContain('is running');
  }, 120_000);

  it('`npm start` while something holds 7233 refuses it and names --port', async () => {
    // Whoever holds 7233 (another stack, or this test's listener) must make `npm start` refuse.
    const listener = createServer();
    await new Promise<void>((resolve) => {
      listener.once('error', () => resolve());
      listener.listen(7233, '127.0.0.1', () => resolve());
    });
    try {
      const r = await run('npm', ['start'], devEnv());
      expect(r.code, r.err).toBe(1);
      expect(r.err).toContain('port 7233 (Temporal gRPC) is already in use; choose another with --port');
      expect(r.out).not.toContain('is running');
    } finally {
      listener.close();
    }
  }, 180_000);

  it('lists every taken or doubly-claimed port with its flag', async () => {
    const held = await hold();
    try {
      const err = await checkPorts([
        { port: held.port, what: 'otpflow API', flag: '--api-port' },
        { port: 0, what: 'metrics', flag: '--metrics-port' },
        { port: 40001, what: 'A', flag: '--a' },
        { port: 40001, what: 'B', flag: '--b' },
      ]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      const message = (err as Error).message;
      expect(message).toContain(
        `port ${held.port} (otpflow API) is already in use; choose another with --api-port`,
      );
      expect(message).toContain('port 40001 is given to both A (--a) and B (--b); choose another with --b');
      await expect(checkPorts([{ port: await freePort(), what: 'x', flag: '--x' }])).resolves.toBeUndefined();
    } finally {
      held.server.close();
    }
  });
});

describe('a port taken between the check and the bind is an error, never a silent join', () => {
  it('startDevServer rejects when another Temporal server answers on its port', async () => {
    const taken = sharedPort();
    const err = await startDevServer({
      cliPath: inject('temporalCliPath'),
      port: taken,
      uiPort: await freePort(),
      startTimeoutMs: 60_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevServerError);
    // Either our child died on the taken port first, or the probe found someone else's server.
    expect((err as DevServerError).message).toMatch(
      new RegExp(`not the one just started|exited during start-up`),
    );
  }, 90_000);

  it("the tests', chaos suite's and bench's servers (createOwnLocalServer) refuse another server on their port", async () => {
    const err = await createOwnLocalServer({
      server: {
        executable: { type: 'existing-path', path: inject('temporalCliPath') },
        port: sharedPort(),
        ip: '127.0.0.1',
        ui: false,
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForeignServerError);
    expect((err as Error).message).toContain(`127.0.0.1:${sharedPort()}`);
  }, 90_000);
});

describe('otpflow dev never hangs after a failed start', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-devfail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 at once when the Temporal server fails after the Runtime was installed', async () => {
    const fake = path.join(dir, 'temporal');
    writeFileSync(fake, '#!/bin/sh\necho "fake temporal: cannot start" >&2\nexit 3\n');
    chmodSync(fake, 0o755);
    const r = await run(process.execPath, await devArgs(), devEnv({ TEMPORAL_CLI_PATH: fake }));
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain('fake temporal: cannot start');
    expect(r.err).toContain('otpflow dev: stopped.');
    expect(r.err).not.toContain('still running');
  }, 120_000);
});
