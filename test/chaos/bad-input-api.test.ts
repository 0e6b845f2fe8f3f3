/**
 * Bad-input catalogue, part 2: the HTTP API, the CLI and the client library, against a real
 * worker and the emulator. Each input gets a precise answer (problem type and field, exit
 * code, error code and field); nothing crashes; no verification is started or changed and
 * nothing reaches Infobip because of them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createApiServer } from '../../client/api/server';
import { OtpClient, type StartInput } from '../../client/otp-client';
import { testNumber } from '../harness/stack';
import { connectTestEnv } from '../harness/temporal';
import { codeOf, runCatalogue, type Outcome, type Row } from './catalogue';
import { chaosApplication, HASH_KEY, reportFigures, startChaosStack, type ChaosStack } from './support';

const KEY = 'catalogue-api-key-0123456789';
const app = chaosApplication({ lookup: 'OFF', ttlSeconds: 300, maxAttempts: 3 }, 'catalogue');
const ROOT = path.resolve(__dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-badapi-'));
let env: TestWorkflowEnvironment;
let stack: ChaosStack;
let otp: OtpClient;
let api: FastifyInstance;
let base: string;
let cliEnv: NodeJS.ProcessEnv;
let pending: { id: string; to: string };
let verified: { id: string; pin: string };

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startChaosStack(env, { applications: [app] });
  otp = new OtpClient({
    client: env.client,
    applications: [app],
    destinationHashKey: HASH_KEY,
    taskQueue: stack.taskQueue,
  });
  api = createApiServer({ otp, apiKeys: [KEY] });
  base = await api.listen({ port: 0, host: '127.0.0.1' });
  const configFile = path.join(dir, 'otpflow.config.json');
  writeFileSync(configFile, JSON.stringify({ applications: [app] }));
  cliEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    OTPFLOW_CONFIG: configFile,
    OTPFLOW_TASK_QUEUE: stack.taskQueue,
    OTPFLOW_DESTINATION_HASH_KEY: HASH_KEY.toString('hex'),
  };
  const to = testNumber();
  pending = { id: (await otp.start({ destination: to })).id, to };
  const other = testNumber();
  const done = await otp.start({ destination: other });
  const pin = stack.inbox(other)[0]!.pin;
  await otp.check(done.id, pin);
  verified = { id: done.id, pin };
});
afterAll(async () => {
  await api?.close();
  await stack?.close();
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** Status, problem type (last segment) and field of an API answer. */
async function http(
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  const res = await fetch(base + p, {
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
const post = (p: string | (() => string), body?: unknown, headers?: Record<string, string>) => () =>
  http(
    'POST',
    typeof p === 'function' ? p() : p,
    typeof body === 'function' ? (body as () => unknown)() : body,
    headers,
  );
const start = (over: Record<string, unknown>) => post('/v1/verifications', { to: testNumber(), ...over });
const check = (body: unknown) =>
  post(() => `/v1/verifications/${encodeURIComponent(pending.id)}/check`, body);
const bad = (field: string) => ({ status: 400, type: 'invalid-input', field });

/** Exit code of `node bin/otpflow.js <argv>` (a real process: a crash would show as 70 or a signal). */
const cli = (argv: () => string[]) => (): Promise<Outcome> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin', 'otpflow.js'), ...argv()],
      { env: cliEnv, cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        const exit = err ? (typeof err.code === 'number' ? err.code : String(err.signal ?? err.code)) : 0;
        resolve({ exit, said: (stderr || stdout).slice(0, 160) });
      },
    );
  });
const lib = (fn: () => Promise<unknown>) => () => codeOf(fn);
const libStart = (req: Partial<StartInput> & Record<string, unknown>) =>
  lib(() => otp.start(req as StartInput));
const invalid = (field: string) => ({ code: 'OTP_INVALID_INPUT', field });

const rows: Row[] = [
  {
    surface: 'http-api',
    input: 'body is not JSON',
    expected: bad('body'),
    run: post('/v1/verifications', '{"to": '),
  },
  {
    surface: 'http-api',
    input: 'body is a JSON array',
    expected: { status: 400, type: 'invalid-input' },
    run: post('/v1/verifications', [1, 2]),
  },
  {
    surface: 'http-api',
    input: 'to missing',
    expected: bad('to'),
    run: post('/v1/verifications', { channel: 'sms' }),
  },
  {
    surface: 'http-api',
    input: 'to a number, not a string',
    expected: bad('to'),
    run: start({ to: 41793026727 }),
  },
  {
    surface: 'http-api',
    input: 'to 10,000 characters',
    expected: bad('to'),
    run: start({ to: `+${'4'.repeat(10_000)}` }),
  },
  {
    surface: 'http-api',
    input: 'to without the plus',
    expected: bad('to'),
    run: start({ to: '41793026727' }),
  },
  {
    surface: 'http-api',
    input: 'to with spaces',
    expected: bad('to'),
    run: start({ to: '+41 79 302 67 27' }),
  },
  {
    surface: 'http-api',
    input: 'to with a full-width digit',
    expected: bad('to'),
    run: start({ to: '+4179302672７' }),
  },
  {
    surface: 'http-api',
    input: 'to with Arabic-Indic digits',
    expected: bad('to'),
    run: start({ to: '+٤١٧٩٣٠٢٦٧٢٧' }),
  },
  {
    surface: 'http-api',
    input: 'to in no country (+999…)',
    expected: bad('to'),
    run: start({ to: '+999123456789' }),
  },
  {
    surface: 'http-api',
    input: 'to an e-mail address for channel sms',
    expected: bad('to'),
    run: start({ to: 'a@example.com', channel: 'sms' }),
  },
  { surface: 'http-api', input: 'channel fax', expected: bad('channel'), run: start({ channel: 'fax' }) },
  {
    surface: 'http-api',
    input: 'unknown application',
    expected: bad('application'),
    run: start({ application: 'nope' }),
  },
  { surface: 'http-api', input: 'unknown field', expected: bad('colour'), run: start({ colour: 'red' }) },
  {
    surface: 'http-api',
    input: 'placeholder named pin',
    expected: { status: 400, type: 'invalid-input' },
    run: start({ placeholders: { pin: '123456' } }),
  },
  { surface: 'http-api', input: 'id with a slash', expected: bad('id'), run: start({ id: 'a/b' }) },
  {
    surface: 'http-api',
    input: 'language with no template',
    expected: bad('language'),
    run: start({ language: 'xx' }),
  },
  {
    surface: 'http-api',
    input: 'body over 16 KiB',
    expected: { status: 413, type: 'payload-too-large' },
    run: start({ placeholders: { name: 'x'.repeat(20_000) } }),
  },
  {
    surface: 'http-api',
    input: 'content-type text/plain',
    expected: bad('body'),
    run: post('/v1/verifications', 'to=+41793026727', { 'content-type': 'text/plain' }),
  },
  {
    surface: 'http-api',
    input: 'no Authorization',
    expected: { status: 401, type: 'unauthorized' },
    run: post('/v1/verifications', {}, { authorization: '' }),
  },
  {
    surface: 'http-api',
    input: 'code with full-width digits',
    expected: bad('code'),
    run: check({ code: '１２３４５６' }),
  },
  {
    surface: 'http-api',
    input: 'code a number, not a string',
    expected: bad('code'),
    run: check({ code: 123456 }),
  },
  { surface: 'http-api', input: 'code missing', expected: bad('code'), run: check({}) },
  {
    surface: 'http-api',
    input: 'code 10,000 characters',
    expected: bad('code'),
    run: check({ code: '1'.repeat(10_000) }),
  },
  { surface: 'http-api', input: 'code with letters', expected: bad('code'), run: check({ code: '12a456' }) },
  {
    surface: 'http-api',
    input: 'check an unknown ID',
    expected: { status: 404, type: 'not-found' },
    run: post('/v1/verifications/otp-unknown/check', { code: '123456' }),
  },
  {
    surface: 'http-api',
    input: 'resend an unknown ID',
    expected: { status: 404, type: 'not-found' },
    run: post('/v1/verifications/otp-unknown/resend'),
  },
  {
    surface: 'http-api',
    input: 'read a path-traversal ID',
    expected: { status: 404, type: 'not-found' },
    run: () => http('GET', '/v1/verifications/..%2F..%2Fetc%2Fpasswd'),
  },
  {
    surface: 'http-api',
    input: 'replayed correct code after VERIFIED',
    expected: { status: 409, type: 'already-finished' },
    run: post(
      () => `/v1/verifications/${encodeURIComponent(verified.id)}/check`,
      () => ({ code: verified.pin }),
    ),
  },
  {
    surface: 'http-api',
    input: 'resend a finished verification',
    expected: { status: 409, type: 'already-finished' },
    run: post(() => `/v1/verifications/${encodeURIComponent(verified.id)}/resend`),
  },
  { surface: 'cli', input: 'no command', expected: { exit: 2 }, run: cli(() => []) },
  { surface: 'cli', input: 'unknown command', expected: { exit: 2 }, run: cli(() => ['hack']) },
  {
    surface: 'cli',
    input: 'unknown option',
    expected: { exit: 2 },
    run: cli(() => ['status', pending.id, '--bogus']),
  },
  {
    surface: 'cli',
    input: 'verify without a code',
    expected: { exit: 2 },
    run: cli(() => ['verify', pending.id]),
  },
  {
    surface: 'cli',
    input: 'verify a malformed code',
    expected: { exit: 2 },
    run: cli(() => ['verify', pending.id, '12ab56']),
  },
  {
    surface: 'cli',
    input: 'verify with unicode digits',
    expected: { exit: 2 },
    run: cli(() => ['verify', pending.id, '١٢٣٤٥٦']),
  },
  {
    surface: 'cli',
    input: 'start an invalid number',
    expected: { exit: 2 },
    run: cli(() => ['start', '0041 79 302 67 27']),
  },
  {
    surface: 'cli',
    input: 'start with channel fax',
    expected: { exit: 2 },
    run: cli(() => ['start', testNumber(), '--channel', 'fax']),
  },
  {
    surface: 'cli',
    input: 'start with an unknown application',
    expected: { exit: 2 },
    run: cli(() => ['start', testNumber(), '--app', 'nope']),
  },
  {
    surface: 'cli',
    input: 'status of an unknown ID',
    expected: { exit: 4 },
    run: cli(() => ['status', 'otp-unknown']),
  },
  {
    surface: 'cli',
    input: 'list with limit abc',
    expected: { exit: 2 },
    run: cli(() => ['list', '--limit', 'abc']),
  },
  {
    surface: 'client-library',
    input: 'start without destination',
    expected: invalid('destination'),
    run: libStart({}),
  },
  {
    surface: 'client-library',
    input: 'start with an object as destination',
    expected: invalid('destination'),
    run: libStart({ destination: {} as string }),
  },
  {
    surface: 'client-library',
    input: 'start with channel "SMS "',
    expected: invalid('channel'),
    run: libStart({ destination: testNumber(), channel: 'SMS ' }),
  },
  {
    surface: 'client-library',
    input: 'start with an empty id',
    expected: invalid('id'),
    run: libStart({ destination: testNumber(), id: '' }),
  },
  {
    surface: 'client-library',
    input: 'start with placeholders an array',
    expected: invalid('placeholders'),
    run: libStart({ destination: testNumber(), placeholders: [] as unknown as Record<string, string> }),
  },
  {
    surface: 'client-library',
    input: 'start with a malformed fallback e-mail',
    expected: invalid('email'),
    run: libStart({ destination: testNumber(), email: 'not-an-email' }),
  },
  {
    surface: 'client-library',
    input: 'check with code null',
    expected: invalid('code'),
    run: lib(() => otp.check(pending.id, null as unknown as string)),
  },
  {
    surface: 'client-library',
    input: 'check a 300-character ID',
    expected: { code: 'OTP_UNKNOWN_VERIFICATION' },
    run: lib(() => otp.check('x'.repeat(300), '123456')),
  },
  {
    surface: 'client-library',
    input: 'cancel an unknown ID',
    expected: { code: 'OTP_UNKNOWN_VERIFICATION' },
    run: lib(() => otp.cancel('otp-unknown')),
  },
];

it(`answers ${rows.length} malformed API, CLI and library inputs precisely, changing nothing`, async () => {
  const sends = stack.requests('POST /2fa/2/pin');
  const verifies = stack.requests('POST /2fa/2/pin/{pinId}/verify');
  const history = (await env.client.workflow.getHandle(pending.id).fetchHistory()).events?.length;
  const tried = await runCatalogue(rows);
  expect(stack.requests('POST /2fa/2/pin')).toBe(sends);
  expect(stack.requests('POST /2fa/2/pin/{pinId}/verify')).toBe(verifies);
  expect((await env.client.workflow.getHandle(pending.id).fetchHistory()).events?.length).toBe(history);
  // Still serving, and the pending verification still takes its right code.
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  expect(await otp.check(pending.id, stack.inbox(pending.to)[0]!.pin)).toMatchObject({ status: 'VERIFIED' });
  reportFigures('bad-input-api', { inputsTried: tried });
}, 120_000);
