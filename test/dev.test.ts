/**
 * The embedded stack exactly as the README runs it (`npm start` = `node bin/otpflow.js dev`,
 * here with free ports): a verification end to end through the printed API URL with the PIN
 * from the emulator inbox, the codec endpoint wired into the Web UI, `--db` keeping state
 * across a restart, and SIGINT leaving no process behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, stackProcessEnv } from './harness/processes';
import { freePort } from './harness/ports';

const ROOT = path.join(__dirname, '..');

interface Stack {
  child: ChildProcess;
  out: string;
  err: string;
  exited: Promise<number | null>;
  urls: { api: string; apiKey: string; inbox: string; webUi: string; codec: string };
}

/** Child processes of `pid` (Linux ps): pid and command name. */
function childrenOf(pid: number): { pid: number; comm: string }[] {
  const r = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => Number(p[0]) > 0)
    .map((p) => ({ pid: Number(p[0]), comm: p[1] ?? '' }));
}

async function startStack(extra: string[] = []): Promise<Stack> {
  const ports = {
    port: await freePort(),
    ui: await freePort(),
    api: await freePort(),
    emu: await freePort(),
    codec: await freePort(),
    metrics: await freePort(),
  };
  const args = [
    'bin/otpflow.js',
    'dev',
    '--port',
    `${ports.port}`,
    '--ui-port',
    `${ports.ui}`,
    '--api-port',
    `${ports.api}`,
    '--emulator-port',
    `${ports.emu}`,
    '--codec-port',
    `${ports.codec}`,
    '--metrics-port',
    `${ports.metrics}`,
    ...extra,
  ];
  const env = stackProcessEnv();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stack = {
    child,
    out: '',
    err: '',
    exited: new Promise<number | null>((r) => child.once('exit', (c) => r(c))),
  } as Stack;
  child.stdout!.on('data', (d: Buffer) => (stack.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stack.err += d.toString()));
  const deadline = Date.now() + 90_000;
  while (!stack.out.includes('Try it:')) {
    if (child.exitCode !== null)
      throw new Error(`otpflow dev exited ${child.exitCode}:\n${stack.out}\n${stack.err}`);
    if (Date.now() > deadline)
      throw new Error(`otpflow dev did not print its block:\n${stack.out}\n${stack.err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const field = (label: string) => {
    const m = new RegExp(`^  ${label}\\s+(\\S+)`, 'm').exec(stack.out);
    if (!m) throw new Error(`no "${label}" in:\n${stack.out}`);
    return m[1] as string;
  };
  stack.urls = {
    api: field('otpflow API'),
    apiKey: field('API key'),
    inbox: field('Emulator inbox'),
    webUi: field('Temporal Web UI'),
    codec: field('Codec endpoint'),
  };
  return stack;
}

async function stopStack(stack: Stack): Promise<void> {
  const children = childrenOf(stack.child.pid!);
  expect(children.map((c) => c.comm)).toContain('temporal'); // the dev server
  stack.child.kill('SIGINT');
  const timer = setTimeout(() => stack.child.kill('SIGKILL'), 45_000);
  expect(await stack.exited).toBe(0);
  clearTimeout(timer);
  // Helpers such as tsx's esbuild service end when their parent's pipes close: allow a moment.
  const deadline = Date.now() + 5000;
  while (children.some((c) => alive(c.pid)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  for (const c of children) expect(alive(c.pid), `child ${c.pid} (${c.comm}) still running`).toBe(false);
}

async function api(stack: Stack, method: string, p: string, body?: unknown) {
  const res = await fetch(stack.urls.api + p, {
    method,
    headers: {
      Authorization: `Bearer ${stack.urls.apiKey}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) =>
  existsSync(p),
);

/** Opens a workflow in the Web UI with a real browser: payloads decode through the codec endpoint. */
async function webUiShows(
  stack: Stack,
  workflowId: string,
  expected: string,
): Promise<{ decodeCalls: number[]; text: string }> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const decodeCalls: number[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith(`${stack.urls.codec}/decode`)) decodeCalls.push(r.status());
    });
    await page.goto(`${stack.urls.webUi}/namespaces/default/workflows/${workflowId}`, { waitUntil: 'load' });
    await page.getByText(expected).first().waitFor({ timeout: 30_000 });
    return { decodeCalls, text: await page.innerText('body') };
  } finally {
    await browser.close();
  }
}

async function verify(stack: Stack, phone: string): Promise<string> {
  const started = await api(stack, 'POST', '/v1/verifications', { application: 'login', to: phone });
  expect(started.status).toBeLessThan(300);
  expect(started.body).toMatchObject({ status: 'PENDING', channel: 'SMS' });
  const inbox = (await (await fetch(`${stack.urls.inbox}/messages?to=${phone.slice(1)}`)).json()) as {
    messages: { pin: string }[];
  };
  const pin = inbox.messages[0]?.pin;
  expect(pin).toMatch(/^\d{6}$/);
  const id = started.body.id as string;
  const checked = await api(stack, 'POST', `/v1/verifications/${id}/check`, { code: pin });
  expect(checked.body).toEqual({ status: 'VERIFIED', verified: true, attemptsRemaining: 5 });
  return id;
}

// Each test starts a whole stack (Temporal, emulator, worker, API; one also a browser) as a
// child process, which takes well over a minute on a loaded 2-core machine: hence the timeouts.
describe('otpflow dev (npm start)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-dev-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a verification end to end through the printed URLs and stops cleanly on SIGINT', async () => {
    const stack = await startStack();
    try {
      expect(stack.urls.apiKey).toMatch(/^otp_dev_[0-9a-f]{32}$/);
      // An expected failure: Infobip answers the first send 503, the activity retries.
      const fault = await fetch(`${stack.urls.inbox}/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ match: { path: '/2fa/2/pin' }, times: 1, action: { status: 503 } }),
      });
      expect(fault.status).toBeLessThan(300);
      const id = await verify(stack, '+41793026727');
      if (CHROMIUM) {
        const ui = await webUiShows(stack, id, '+41793026727');
        expect(ui.decodeCalls.length).toBeGreaterThan(0);
        expect(ui.decodeCalls.every((s) => s === 200)).toBe(true);
      }
      // The Web UI was started with the codec endpoint, and that endpoint answers the UI's origin.
      const settings = (await (await fetch(`${stack.urls.webUi}/api/v1/settings`)).json()) as {
        Codec?: { Endpoint?: string };
      };
      expect(settings.Codec?.Endpoint).toBe(stack.urls.codec);
      const preflight = await fetch(`${stack.urls.codec}/decode`, {
        method: 'OPTIONS',
        headers: { Origin: stack.urls.webUi, 'Access-Control-Request-Headers': 'x-namespace' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe(stack.urls.webUi);
    } finally {
      await stopStack(stack);
    }
    expect(stack.err).toContain('stopped.');
    // Without --verbose: no SDK warnings nor stack traces for the retried send or the shutdown.
    expect(stack.err).not.toMatch(/"level":"warn"|"stack":|\n\s+at /);
  }, 180_000);

  it('keeps state, secrets and the emulator across restarts with --db', async () => {
    const db = path.join(dir, 'otpflow.db');
    const first = await startStack(['--db', db]);
    let id: string;
    try {
      id = await verify(first, '+41791234567');
    } finally {
      await stopStack(first);
    }
    const second = await startStack(['--db', db]);
    try {
      expect(second.urls.apiKey).toBe(first.urls.apiKey);
      expect(second.out).toMatch(/applications up to date: login/);
      const view = await api(second, 'GET', `/v1/verifications/${id}`);
      expect(view.body).toMatchObject({ id, status: 'VERIFIED' });
    } finally {
      await stopStack(second);
    }
  }, 240_000);
});

describe('otpflow dev killed hard', () => {
  it('leaves no temporal server behind even when it is SIGKILLed', async () => {
    const stack = await startStack(['--no-encryption']);
    const temporalChild = childrenOf(stack.child.pid!).find((c) => c.comm === 'temporal');
    expect(temporalChild).toBeDefined();
    stack.child.kill('SIGKILL');
    await stack.exited;
    const deadline = Date.now() + 20_000;
    while (alive(temporalChild!.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(alive(temporalChild!.pid)).toBe(false);
  }, 120_000);
});
