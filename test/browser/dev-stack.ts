/**
 * `otpflow dev` as a child process for the browser tests: started on free ports, its printed
 * URLs read back, stopped with SIGTERM (which stops its `temporal` child too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../scripts/temporal-cli';
import { freePort } from '../harness/ports';

export interface DevStack {
  webUi: string;
  api: string;
  apiKey: string;
  emulator: string;
  inbox: string;
  codec: string;
  /** The `export NAME='value'` lines the banner printed, as variables. */
  exports: Record<string, string>;
  /** Calls the otpflow HTTP API with the printed key; answers status and parsed body. */
  call(
    method: 'GET' | 'POST',
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

const LABELS = {
  webUi: 'Temporal Web UI',
  api: 'otpflow API',
  apiKey: 'API key',
  inbox: 'Emulator inbox',
  emulator: 'Infobip emulator',
  codec: 'Codec endpoint',
} as const;

/** Reads `  <label>  <value>` rows of the block `otpflow dev` prints once it is up. */
export function parseDevBlock(text: string): Partial<Record<keyof typeof LABELS, string>> {
  const out: Partial<Record<keyof typeof LABELS, string>> = {};
  for (const [key, label] of Object.entries(LABELS) as [keyof typeof LABELS, string][]) {
    const m = new RegExp(`^\\s*${label}\\s+(\\S+)`, 'm').exec(text);
    if (m?.[1]) out[key] = m[1];
  }
  return out;
}

/** Reads the banner's `  export NAME='value'` lines. */
export function parseExports(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^ {2}export ([A-Z_]+)='([^']*)'$/gm)) out[m[1] as string] = m[2] as string;
  return out;
}

/**
 * Starts `node bin/otpflow.js dev` with encryption on and free ports; resolves once it printed
 * its URLs. `env` adds variables (an applications file, webhook secrets).
 */
export async function startDevStack(timeoutMs = 90_000, env: NodeJS.ProcessEnv = {}): Promise<DevStack> {
  const ports: string[] = [];
  for (const flag of ['--port', '--ui-port', '--api-port', '--emulator-port', '--codec-port']) {
    ports.push(flag, String(await freePort()));
  }
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(PROJECT_ROOT, 'bin', 'otpflow.js'), 'dev', ...ports, '--metrics-port', '0'],
    {
      cwd: PROJECT_ROOT,
      // The committed applications file and generated dev secrets, whatever the caller's shell has.
      env: {
        ...process.env,
        OTPFLOW_CONFIG: '',
        OTPFLOW_API_KEYS: '',
        OTPFLOW_ENCRYPTION_KEYS: '',
        OTPFLOW_DESTINATION_HASH_KEY: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Should the test process end without afterAll (a crash), the stack must not outlive it.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + timeoutMs;
  let urls = parseDevBlock(stdout);
  while (!(
    stdout.includes('otpflow dev stack is running') &&
    urls.webUi &&
    urls.api &&
    urls.apiKey &&
    urls.inbox
  )) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `otpflow dev exited (${child.exitCode ?? child.signalCode}) before it was up:\n${stderr}${stdout}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`otpflow dev did not print its URLs within ${timeoutMs} ms:\n${stderr}${stdout}`);
    }
    await new Promise((r) => setTimeout(r, 200));
    urls = parseDevBlock(stdout);
  }
  if (!urls.codec?.startsWith('http')) {
    await stop();
    throw new Error(
      `otpflow dev runs without a codec endpoint, so the Web UI cannot decode payloads:\n${stdout}`,
    );
  }
  const { webUi, api, apiKey, inbox, emulator, codec } = urls as Required<typeof urls>;
  return {
    webUi,
    api,
    apiKey,
    inbox,
    emulator,
    codec,
    exports: parseExports(stdout),
    async call(method, route, body) {
      const res = await fetch(`${api}${route}`, {
        method,
        headers: {
          Authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    stop,
  };
}
