/**
 * The client package as someone else's backend gets it: `npm pack`, `npm install <tarball>`
 * into a fresh project outside the repository, the README's own examples (backend and webhook
 * receiver) type-checked with tsc and run against `otpflow dev` — a verification with the PIN
 * from the emulator inbox, then the worker's real webhook checked by the receiver. Also proves
 * that `otpflow/client` loads no worker, fastify or workflow code.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../client/webhook';
import { startDevStack, type DevStack } from './browser/dev-stack';
import { freePort } from './harness/ports';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const SECRET = 'whsec-package-test-0123456789';

/** The code block that follows `<!-- example: NAME -->` in the README. */
export function readmeExample(name: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- example: ${name.replace('.', '\\.')} -->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(
    readme,
  );
  if (!m?.[1]) throw new Error(`README has no example ${name}`);
  return m[1];
}

/** Test-owned driver: the backend example's two calls, with the PIN read from the emulator inbox. */
const DRIVER = `
import { checkCode, close, sendCode } from './backend.js';

const [phone, inbox] = process.argv.slice(2) as [string, string];
const id = await sendCode(phone);
const wrong = await checkCode(id, '000000');
const res = await fetch(\`\${inbox}/messages?to=\${phone.replace(/\\D/g, '')}\`);
const { messages } = (await res.json()) as { messages: { pin: string }[] };
const right = await checkCode(id, messages[0]?.pin ?? 'none');
console.log(JSON.stringify({ id, wrong, right }));
await close();
`;

/** What requiring the built entry loads, as package names and repository folders. */
const LOADED = `
require('otpflow/client');
console.log(JSON.stringify(Object.keys(require.cache)));
`;

let dir: string;
let project: string;
let receiver: ChildProcess | undefined;
let receiverOut = '';
let receiverPort: number;
let stack: DevStack | undefined;

async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  try {
    return await run(cmd, args, { cwd, env, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'otpflow-package-'));
  project = path.join(dir, 'backend');
  mkdirSync(project);
  // `npm pack` runs `prepack`: the client build with declarations.
  const packed = await sh(NPM, ['pack', '--pack-destination', dir, '--silent'], ROOT);
  const tarball = path.join(dir, packed.stdout.trim().split('\n').at(-1) as string);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'backend-example', private: true, type: 'module' }),
  );
  // The npm cache that `npm ci` filled serves most of it: no registry round trip per package.
  await sh(
    NPM,
    ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    project,
  );
  writeFileSync(path.join(project, 'backend.ts'), readmeExample('backend.ts'));
  writeFileSync(path.join(project, 'webhook-receiver.ts'), readmeExample('webhook-receiver.ts'));
  writeFileSync(path.join(project, 'drive.ts'), DRIVER);
  writeFileSync(path.join(project, 'loaded.cjs'), LOADED);
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        outDir: 'out',
        // As most projects do: @temporalio/common's declarations name `ms` without its types.
        skipLibCheck: true,
        noEmitOnError: true,
        // The repository's @types/node: nothing else comes from outside the project.
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['backend.ts', 'webhook-receiver.ts', 'drive.ts'],
    }),
  );
}, 600_000);

afterAll(async () => {
  receiver?.kill('SIGTERM');
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed client package in a fresh project', () => {
  it('type-checks the README examples against the installed declarations', async () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await sh(process.execPath, [tsc, '-p', project], project);
    expect(stdout).toBe('');
  }, 120_000);

  it('loads neither the worker, fastify nor workflow code', async () => {
    const { stdout } = await sh(process.execPath, ['loaded.cjs'], project);
    const loaded = JSON.parse(stdout) as string[];
    const otpflow = loaded.filter((f) => f.includes(`${path.sep}node_modules${path.sep}otpflow${path.sep}`));
    // A guard against a listing that finds nothing: the library itself is there, built.
    expect(otpflow.some((f) => f.endsWith(path.join('dist', 'client', 'index.js')))).toBe(true);
    const forbidden = [
      /node_modules\/@temporalio\/(worker|workflow|core-bridge|activity)\//,
      /node_modules\/(fastify|@fastify|pino|undici)\//,
      /node_modules\/otpflow\/(dist\/)?(workflows|worker|api|cli|activities|dev|setup|emulator)\//,
      /\.ts$/,
    ];
    expect(loaded.filter((f) => forbidden.some((r) => r.test(f)))).toEqual([]);
  }, 60_000);

  it('runs the README backend and webhook receiver against the dev stack', async () => {
    // The receiver first: the dev stack's applications file sends its webhooks there.
    receiverPort = await freePort();
    receiver = spawn(process.execPath, ['out/webhook-receiver.js'], {
      cwd: project,
      env: { ...process.env, PORT: String(receiverPort), LOGIN_WEBHOOK_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    receiver.stdout?.on('data', (d: Buffer) => (receiverOut += d.toString()));
    receiver.stderr?.on('data', (d: Buffer) => (receiverOut += d.toString()));
    const config = JSON.parse(readFileSync(path.join(ROOT, 'otpflow.config.json'), 'utf8')) as {
      applications: Record<string, unknown>[];
    };
    const login = config.applications[0] as Record<string, unknown>;
    login.webhook = { url: `http://127.0.0.1:${receiverPort}/otp`, secretEnv: 'LOGIN_WEBHOOK_SECRET' };
    delete (config as Record<string, unknown>).$schema;
    const configFile = path.join(dir, 'otpflow.config.json');
    writeFileSync(configFile, JSON.stringify(config));

    stack = await startDevStack(120_000, { OTPFLOW_CONFIG: configFile, LOGIN_WEBHOOK_SECRET: SECRET });
    // The banner's exports are all the backend gets, besides the applications file.
    const exported = stack.exports;
    expect(Object.keys(exported)).toEqual(
      expect.arrayContaining(['TEMPORAL_ADDRESS', 'OTPFLOW_DESTINATION_HASH_KEY', 'OTPFLOW_ENCRYPTION_KEYS']),
    );
    const backendEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      ...exported,
      OTPFLOW_CONFIG: configFile,
    };
    delete backendEnv.INFOBIP_API_KEY; // a client needs no Infobip key

    const phone = '+41 79 555 01 23';
    const { stdout } = await sh(process.execPath, ['out/drive.js', phone, stack.inbox], project, backendEnv);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      id: string;
      wrong: boolean;
      right: boolean;
    };
    expect(result).toMatchObject({
      id: expect.stringMatching(/^otp-login-[0-9a-f]{32}$/),
      wrong: false,
      right: true,
    });

    // The worker's real, signed delivery reached the receiver, which accepted it.
    const deadline = Date.now() + 60_000;
    while (!receiverOut.includes(`${result.id} ended VERIFIED`) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(receiverOut).toContain(`${result.id} ended VERIFIED`);

    // Forged, altered and replayed requests are refused with the reason.
    const url = `http://127.0.0.1:${receiverPort}/otp`;
    const body = JSON.stringify({ verificationId: 'otp-login-x', status: 'VERIFIED', verified: true });
    const post = (headers: Record<string, string>, text = body) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
    const now = Math.floor(Date.now() / 1000);
    const good = await post({
      'x-otpflow-signature': signWebhook(SECRET, now, body),
      'x-otpflow-delivery': 'd-1',
    });
    expect(good.status).toBe(204);
    const altered = await post(
      { 'x-otpflow-signature': signWebhook(SECRET, now, body) },
      body.replace('VERIFIED', 'LOCKED'),
    );
    expect([altered.status, await altered.text()]).toEqual([401, 'SIGNATURE_MISMATCH']);
    const replayed = await post({ 'x-otpflow-signature': signWebhook(SECRET, now - 3600, body) });
    expect([replayed.status, await replayed.text()]).toEqual([401, 'TIMESTAMP_OUT_OF_TOLERANCE']);
    const forged = await post({ 'x-otpflow-signature': signWebhook('not-the-secret', now, body) });
    expect(forged.status).toBe(401);
    const unsigned = await post({});
    expect([unsigned.status, await unsigned.text()]).toEqual([401, 'MISSING_SIGNATURE']);
  }, 400_000);

  it("runs the package's own otpflow command", async () => {
    const { stdout } = await sh(path.join(project, 'node_modules', '.bin', 'otpflow'), ['--help'], project);
    expect(stdout).toContain('Usage: otpflow <command>');
  }, 60_000);
});
