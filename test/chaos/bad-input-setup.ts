/**
 * The stack both API-side catalogue files run against: the emulator, a real worker, the
 * client library, the HTTP API on a loopback port, an applications file for the CLI, one
 * pending and one verified verification. And the helpers that reduce an answer to the
 * catalogue's outcome: HTTP status, problem type and field; CLI exit code; error code and field.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { expect, inject } from 'vitest';
import { createApiServer } from '../../api/server';
import { OtpClient, type StartInput } from '../../client/otp-client';
import { testNumber } from '../harness/stack';
import { connectTestEnv } from '../harness/temporal';
import { codeOf, runCatalogue, type Outcome, type Row } from './catalogue';
import { chaosApplication, HASH_KEY, reportFigures, startChaosStack, type ChaosStack } from './support';

export const KEY = 'catalogue-api-key-0123456789';
const ROOT = path.resolve(__dirname, '..', '..');

/** What the rows use; filled by `setupCatalogue`. */
export const ctx = {} as {
  env: TestWorkflowEnvironment;
  stack: ChaosStack;
  otp: OtpClient;
  api: FastifyInstance;
  base: string;
  dir: string;
  cliEnv: NodeJS.ProcessEnv;
  pending: { id: string; to: string };
  verified: { id: string; pin: string };
};

/** Starts the stack; for `beforeAll`. */
export async function setupCatalogue(): Promise<void> {
  const app = chaosApplication({ lookup: 'OFF', ttlSeconds: 300, maxAttempts: 3 }, 'catalogue');
  ctx.env = await connectTestEnv();
  ctx.stack = await startChaosStack(ctx.env, { applications: [app] });
  ctx.otp = new OtpClient({
    client: ctx.env.client,
    applications: [app],
    destinationHashKey: HASH_KEY,
    taskQueue: ctx.stack.taskQueue,
  });
  ctx.api = createApiServer({ otp: ctx.otp, apiKeys: [KEY] });
  ctx.base = await ctx.api.listen({ port: 0, host: '127.0.0.1' });
  ctx.dir = mkdtempSync(path.join(tmpdir(), 'otpflow-badapi-'));
  const configFile = path.join(ctx.dir, 'otpflow.config.json');
  writeFileSync(configFile, JSON.stringify({ applications: [app] }));
  ctx.cliEnv = {
    PATH: process.env.PATH,
    HOME: ctx.dir,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    OTPFLOW_CONFIG: configFile,
    OTPFLOW_TASK_QUEUE: ctx.stack.taskQueue,
    OTPFLOW_DESTINATION_HASH_KEY: HASH_KEY.toString('hex'),
  };
  const to = testNumber();
  ctx.pending = { id: (await ctx.otp.start({ destination: to })).id, to };
  const other = testNumber();
  const done = await ctx.otp.start({ destination: other });
  const pin = ctx.stack.inbox(other)[0]!.pin;
  await ctx.otp.check(done.id, pin);
  ctx.verified = { id: done.id, pin };
}

/** Stops what `setupCatalogue` started; for `afterAll`. */
export async function teardownCatalogue(): Promise<void> {
  await ctx.api?.close();
  await ctx.stack?.close();
  await ctx.env?.teardown();
  if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
}

/**
 * Runs the rows, then checks that they changed nothing: no send or verify reached Infobip, the
 * pending flow's history is as it was, the API still serves, and the pending flow still takes
 * its right code. Reports the count as `<name>: inputsTried`.
 */
export async function runWithoutStateChange(name: string, rows: Row[]): Promise<void> {
  const { stack, env, pending } = ctx;
  const sends = stack.requests('POST /2fa/2/pin');
  const verifies = stack.requests('POST /2fa/2/pin/{pinId}/verify');
  const events = async () => (await env.client.workflow.getHandle(pending.id).fetchHistory()).events?.length;
  const history = await events();
  const tried = await runCatalogue(rows);
  expect(stack.requests('POST /2fa/2/pin')).toBe(sends);
  expect(stack.requests('POST /2fa/2/pin/{pinId}/verify')).toBe(verifies);
  expect(await events()).toBe(history);
  expect((await fetch(`${ctx.base}/healthz`)).status).toBe(200);
  const pin = stack.inbox(pending.to)[0]!.pin;
  expect(await ctx.otp.check(pending.id, pin)).toMatchObject({ status: 'VERIFIED' });
  reportFigures(name, { inputsTried: tried });
}

/** Status, problem type (last segment) and field of an API answer. */
export async function http(
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  const res = await fetch(ctx.base + p, {
    method,
    headers: {
      authorization: `Bearer ${KEY}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { type?: string; field?: string };
  return { status: res.status, type: json.type?.split('/').pop(), field: json.field };
}
/**
 * Sends `request` as it is (bytes as latin1) on a fresh connection to the API and reads the
 * answer until the server closes: status, content type and body (chunked bodies decoded).
 */
export function rawHttp(request: string): Promise<{ status: number; contentType: string; body: string }> {
  const { port } = new URL(ctx.base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      // latin1: one character per byte, so chunk sizes count right; the body is UTF-8 again below.
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP answer to ${request.slice(0, 60)}: "${text}"`));
      const [statusLine = '', ...headerLines] = text.slice(0, split).split('\r\n');
      const headers = new Map(
        headerLines.map((l) => [
          l.slice(0, l.indexOf(':')).toLowerCase(),
          l.slice(l.indexOf(':') + 1).trim(),
        ]),
      );
      let body = text.slice(split + 4);
      if (headers.get('transfer-encoding') === 'chunked') {
        let out = '';
        for (let rest = body; ;) {
          const eol = rest.indexOf('\r\n');
          const size = parseInt(rest.slice(0, eol), 16);
          if (!size) break;
          out += rest.slice(eol + 2, eol + 2 + size);
          rest = rest.slice(eol + 2 + size + 2);
        }
        body = out;
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        contentType: headers.get('content-type') ?? '',
        body: Buffer.from(body, 'latin1').toString('utf8'),
      });
    });
    socket.write(request, 'latin1');
    // Requests the server waits on (a body announced but not sent) end with our half-close.
    setTimeout(() => socket.end(), 2_000).unref();
  });
}

/** A POST whose path and body may be computed when the row runs. */
export const post = (p: string | (() => string), body?: unknown, headers?: Record<string, string>) => () =>
  http(
    'POST',
    typeof p === 'function' ? p() : p,
    typeof body === 'function' ? (body as () => unknown)() : body,
    headers,
  );
export const start = (over: Record<string, unknown>) =>
  post('/v1/verifications', { to: testNumber(), ...over });
export const check = (body: unknown) =>
  post(() => `/v1/verifications/${encodeURIComponent(ctx.pending.id)}/check`, body);
export const bad = (field: string) => ({ status: 400, type: 'invalid-input', field });

/** Exit code of `node bin/otpflow.js <argv>` (a real process: a crash would show as 70 or a signal). */
export const cli = (argv: () => string[]) => (): Promise<Outcome> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin', 'otpflow.js'), ...argv()],
      { env: ctx.cliEnv, cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        const exit = err ? (typeof err.code === 'number' ? err.code : String(err.signal ?? err.code)) : 0;
        resolve({ exit, said: (stderr || stdout).slice(0, 160) });
      },
    );
  });
export const lib = (fn: () => Promise<unknown>) => () => codeOf(fn);
export const libStart = (req: Partial<StartInput> & Record<string, unknown>) =>
  lib(() => ctx.otp.start(req as StartInput));
export const invalid = (field: string) => ({ code: 'OTP_INVALID_INPUT', field });
