/**
 * `otpflow`'s dispatch, without a Temporal server: every process command is reached through
 * its typed import and answers `--help` and a usage error; a broken configuration is exit 78
 * for every command; `--help` and usage errors never load the Temporal client.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../cli/exit-codes';
import { main } from '../cli/main';
import type { CliIo } from '../cli/output';

const ROOT = path.resolve(__dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-dispatch-'));
const brokenConfig = path.join(dir, 'broken.json');
writeFileSync(brokenConfig, JSON.stringify({ applications: [{ name: 'x' }] }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Runs `main` in this process; what the command printed, through `io` or the console. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(argv, io, process.env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const PROCESS_COMMANDS = ['dev', 'worker', 'api', 'emulator', 'setup'];

describe('process commands', () => {
  it.each(PROCESS_COMMANDS)('%s answers --help with its usage (exit 0)', async (name) => {
    const r = await run([name, '--help']);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out).toContain(`Usage: otpflow ${name}`);
  });

  it.each(PROCESS_COMMANDS)('%s refuses an unknown option with its usage (exit 2)', async (name) => {
    const r = await run([name, '--colour']);
    expect(r.code).toBe(ExitCode.BAD_INPUT);
    expect(r.err).toContain('--colour');
  });

  it.each(['dev', 'worker', 'api', 'setup'])('%s: a broken applications file is exit 78', async (name) => {
    vi.stubEnv('OTPFLOW_CONFIG', brokenConfig);
    const r = await run([name]);
    expect(r.code).toBe(ExitCode.CONFIG);
    expect(r.err).toContain('applications[0]');
  });
});

it('a port in use is a process that failed (exit 1), for the emulator as for the API', async () => {
  const { createServer } = await import('node:net');
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const port = String((taken.address() as { port: number }).port);
  try {
    const r = await run(['emulator', '--port', port]);
    expect(r.code).toBe(ExitCode.FAILED);
    expect(r.err).toContain('cannot listen');
  } finally {
    taken.close();
  }
});

describe('verification commands', () => {
  it('a broken applications file is exit 78, as for the process commands', async () => {
    const r = await run(['status', 'otp-login-x', '--config', brokenConfig]);
    expect(r.code).toBe(ExitCode.CONFIG);
    expect(r.err).toContain('applications[0]');
  });

  it('no command, an unknown command and a wrong argument count are usage errors (exit 2)', async () => {
    expect((await run([])).code).toBe(ExitCode.BAD_INPUT);
    expect((await run(['frobnicate'])).code).toBe(ExitCode.BAD_INPUT);
    const missing = await run(['verify', 'otp-login-x']);
    expect(missing.code).toBe(ExitCode.BAD_INPUT);
    expect(missing.err).toContain('expected <id> <code>');
  });
});

it('--help and usage errors never load the Temporal client', async () => {
  const probe = `
    require('tsx/cjs');
    import('tsx/esm').then(async () => {
      const { main } = require('./cli/main.ts');
      const quiet = { out() {}, err() {} };
      const codes = [await main(['--help'], quiet), await main(['verify', 'x'], quiet), await main(['start', '--help'], quiet)];
      const loaded = Object.keys(require.cache).filter((f) => /@temporalio[\\\\/](client|worker)/.test(f));
      console.log(JSON.stringify({ codes, loaded }));
    });`;
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['-e', probe], { cwd: ROOT }, (err, out) =>
      err ? reject(err) : resolve(out),
    ),
  );
  expect(JSON.parse(stdout)).toEqual({ codes: [0, 2, 0], loaded: [] });
});
