/**
 * No personal data in clear. The real worker process (`otpflow worker`) runs with encryption
 * keys and debug logs; verifications of phone numbers and an e-mail address go through every
 * ending. Then workflow IDs, search attributes, memos and summaries, raw histories, the
 * worker's logs and its Prometheus metrics are scanned for the destinations (in every
 * spelling) and every code typed or sent: zero hits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { ensureApplication } from '../../setup/applications';
import { OtpClient } from '../../client/otp-client';
import { MisconfiguredError } from '../../client/errors';
import { hashDestination, verificationId } from '../../client/identity';
import { UNENCRYPTED } from '../../domain/failures';
import { isConfigError } from '../../config/errors';
import { createDataConverter, EncryptionCodec } from '../../codec';
import { createEmulator, type Emulator } from '../../emulator';
import { createInfobipClient } from '../../infobip';
import { testNumber } from '../harness/stack';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal';
import { API_KEY, chaosApplication, reportFigures, waitFor } from './support';
import { freePort } from '../harness/ports';

const ROOT = path.resolve(__dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-privacy-'));
const app = chaosApplication(
  { lookup: 'ADVISORY', ttlSeconds: 4, maxAttempts: 3, resendCooldownSeconds: 0 },
  'privacy',
);
const encryptionKey = randomBytes(32);
const hashKey = randomBytes(32);
const taskQueue = uniqueTaskQueue('privacy');
let env: TestWorkflowEnvironment;
let emulator: Emulator;
let worker: ChildProcess | undefined;
let logs = '';
let metricsUrl: string;

beforeAll(async () => {
  env = await connectTestEnv();
  emulator = await createEmulator({ apiKeys: [API_KEY], managementLimits: false });
  const infobip = createInfobipClient({ baseUrl: emulator.url, apiKey: API_KEY });
  await ensureApplication(infobip, app, { dryRun: false });
  await infobip.close();
  const configFile = path.join(dir, 'otpflow.config.json');
  writeFileSync(configFile, JSON.stringify({ applications: [app] }));
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  metricsUrl = `http://${metricsAddress}/metrics`;
  worker = spawn(process.execPath, [path.join(ROOT, 'bin', 'otpflow.js'), 'worker'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      OTPFLOW_CONFIG: configFile,
      OTPFLOW_TASK_QUEUE: taskQueue,
      INFOBIP_BASE_URL: emulator.url,
      INFOBIP_API_KEY: API_KEY,
      OTPFLOW_DESTINATION_HASH_KEY: hashKey.toString('hex'),
      OTPFLOW_ENCRYPTION_KEYS: `k1:${encryptionKey.toString('base64')}`,
      OTPFLOW_METRICS_ADDRESS: metricsAddress,
      OTPFLOW_LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  worker.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
});
afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker!.once('exit', r));
    worker.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    worker.kill('SIGKILL');
  }
  await emulator?.close();
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** All text in a value, with every byte field read as UTF-8 (where a payload in clear would show). */
function textOf(value: unknown): string {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' || typeof v === 'bigint') out.push(String(v));
    else if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
    else if (v && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      for (const [k, x] of Object.entries(v)) {
        out.push(k);
        visit(x);
      }
    }
  };
  visit(value);
  return out.join('\n');
}

/** Every spelling of a destination a leak could take. */
function spellings(to: string): string[] {
  if (to.includes('@')) return [to, to.toLowerCase(), encodeURIComponent(to)];
  const digits = to.slice(1);
  return [to, digits, `0${digits.slice(2)}`, encodeURIComponent(to)];
}

it('leaks no destination and no code into IDs, search attributes, histories, logs or metrics', async () => {
  const client = new Client({
    connection: env.connection,
    namespace: env.namespace,
    dataConverter: createDataConverter({ encryptionKeys: [{ id: 'k1', key: encryptionKey }] }),
  });
  const otp = new OtpClient({
    client,
    applications: [app],
    destinationHashKey: hashKey,
    taskQueue,
    startWaitMs: 90_000,
  });
  const phones = Array.from({ length: 5 }, () => testNumber());
  const email = `Privacy.${randomBytes(4).toString('hex')}@Example.com`;
  const codes: string[] = [];
  const ids: string[] = [];
  const pinOf = (to: string) => waitFor(() => emulator.inbox.latest(to)?.pin, `PIN for ${to}`, 90_000);

  // verified, locked, cancelled, expired, resent-then-verified, e-mail verified
  for (const [i, to] of [...phones, email].entries()) {
    const { id } = await otp.start({ destination: to, ...(to.includes('@') ? { channel: 'email' } : {}) });
    ids.push(id);
    const pin = await pinOf(to);
    codes.push(pin);
    if (i === 1) {
      for (const n of [1, 2, 3]) {
        const wrong = String((Number(pin) + n) % 1_000_000).padStart(6, '0');
        codes.push(wrong);
        await otp.check(id, wrong);
      }
    } else if (i === 2) await otp.cancel(id, 'privacy test');
    else if (i === 3)
      await waitFor(async () => ((await otp.status(id)).status === 'EXPIRED' ? true : undefined), 'EXPIRED');
    else {
      if (i === 4) await otp.resend(id);
      await otp.check(id, pin);
    }
  }
  const statuses = await Promise.all(ids.map(async (id) => (await otp.status(id)).status));
  expect(statuses).toEqual(['VERIFIED', 'LOCKED', 'CANCELLED', 'EXPIRED', 'VERIFIED', 'VERIFIED']);

  // What an operator or a log pipeline can see.
  const haystacks: [string, string][] = [];
  for (const id of ids) {
    const handle = env.client.workflow.getHandle(id);
    // The raw answer, as the Web UI gets it before any codec: search attributes, memo, summary.
    const raw = await env.client.workflowService.describeWorkflowExecution({
      namespace: env.namespace ?? 'default',
      execution: { workflowId: id },
    });
    const info = raw.workflowExecutionInfo;
    haystacks.push([`workflow ID ${id}`, id]);
    haystacks.push([`search attributes of ${id}`, JSON.stringify(info?.searchAttributes ?? {})]);
    haystacks.push([
      `memo and summary of ${id}`,
      JSON.stringify(info?.memo ?? {}) + JSON.stringify(raw.executionConfig ?? {}),
    ]);
    const history = await handle.fetchHistory();
    haystacks.push([`history of ${id}`, textOf(history) + historyToJSON(history)]);
  }
  haystacks.push(['worker logs', logs]);
  haystacks.push(['worker metrics', await (await fetch(metricsUrl)).text()]);
  expect(logs.length).toBeGreaterThan(0);

  // Control: the same scan finds the number once the first flow's input is decrypted.
  const started = (await env.client.workflow.getHandle(ids[0]!).fetchHistory()).events?.[0];
  const input = started?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const decoded = await new EncryptionCodec([{ id: 'k1', key: encryptionKey }]).decode(input);
  expect(textOf(decoded)).toContain(phones[0]);
  expect(textOf(input)).not.toContain(phones[0]);

  const needles = [...phones.flatMap(spellings), ...spellings(email)];
  const leaks: string[] = [];
  for (const [where, text] of haystacks) {
    for (const n of needles) if (text.includes(n)) leaks.push(`${where}: destination ${n}`);
    for (const c of codes)
      if (new RegExp(`(?<![0-9])${c}(?![0-9])`).test(text)) leaks.push(`${where}: code ${c}`);
  }
  reportFigures('privacy', {
    flows: ids.length,
    placesScanned: haystacks.length,
    bytesScanned: haystacks.reduce((n, [, t]) => n + t.length, 0),
    needles: needles.length + codes.length,
    leaksFound: leaks.length,
  });
  expect(leaks).toEqual([]);
}, 240_000);

/** A library client of the same stack; `keys` false: no encryption keys; `hash`: its hash key. */
function clientWith(options: { keys: boolean; hash: Buffer }): OtpClient {
  const client = new Client({
    connection: env.connection,
    namespace: env.namespace,
    ...(options.keys
      ? { dataConverter: createDataConverter({ encryptionKeys: [{ id: 'k1', key: encryptionKey }] }) }
      : {}),
  });
  return new OtpClient({
    client,
    applications: [app],
    destinationHashKey: options.hash,
    taskQueue,
    startWaitMs: 60_000,
  });
}

it('refuses a client without the encryption keys: its start fails at once and sends nothing, its check counts nothing (#19)', async () => {
  const plain = clientWith({ keys: false, hash: hashKey });
  const proper = clientWith({ keys: true, hash: hashKey });
  const to = testNumber();
  const refused = await plain.start({ destination: to }).catch((e: unknown) => e);
  expect(isConfigError(refused)).toBe(true);
  expect((refused as Error).message).toContain('OTPFLOW_ENCRYPTION_KEYS');
  const id = verificationId(app.name, hashDestination(to, hashKey));
  // The flow failed at once with the reason; nothing went out.
  const history = await env.client.workflow.getHandle(id).fetchHistory();
  const failed = history.events?.find((e) => e.workflowExecutionFailedEventAttributes);
  expect(failed?.workflowExecutionFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe(
    UNENCRYPTED,
  );
  expect(history.events?.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
  expect(emulator.inbox.messages(to)).toHaveLength(0);
  // What the misconfigured client sent is in that start's history, in clear, until retention.
  expect(textOf(history.events?.[0])).toContain(to);

  // A check sent in clear to a proper flow is refused before it costs an attempt.
  const other = testNumber();
  const started = await proper.start({ destination: other });
  await waitFor(() => emulator.inbox.latest(other)?.pin, `PIN for ${other}`, 60_000);
  const check = await plain.check(started.id, '000000').catch((e: unknown) => e);
  expect(isConfigError(check)).toBe(true);
  expect((await proper.status(started.id)).attemptsRemaining).toBe(3);
  await proper.cancel(started.id);
}, 120_000);

it('refuses a start keyed with another destination-hash key before anything is sent: no second PIN (#19)', async () => {
  const proper = clientWith({ keys: true, hash: hashKey });
  const foreign = clientWith({ keys: true, hash: randomBytes(32) });
  const to = testNumber();
  const first = await proper.start({ destination: to });
  await waitFor(() => emulator.inbox.latest(to)?.pin, `PIN for ${to}`, 60_000);
  const refused = await foreign.start({ destination: to }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(MisconfiguredError);
  expect(refused).toMatchObject({ variable: 'OTPFLOW_DESTINATION_HASH_KEY' });
  // A caller-chosen ID with the foreign hash is refused the same way.
  const chosen = await foreign
    .start({ destination: testNumber(), id: `caller-${randomBytes(4).toString('hex')}` })
    .catch((e: unknown) => e);
  expect(chosen).toBeInstanceOf(MisconfiguredError);
  expect(emulator.inbox.messages(to)).toHaveLength(1);
  expect((await proper.status(first.id)).status).toBe('PENDING');
  await proper.cancel(first.id);
}, 120_000);
