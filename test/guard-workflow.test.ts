/**
 * The pumping breaker on the real parts (shared dev server, emulator, real activities fed into
 * a `GuardReporter`): the guard workflow learns sends and verifications per prefix from
 * aggregated feeds, blocks a prefix whose sends jump, raises a signed alert, and the client
 * refuses starts to it — nothing sent — while other prefixes carry on; operators block and
 * unblock by hand; the per-prefix velocity limit; the state survives continue-as-new.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import type { ApplicationDeclaration } from '../config/types';
import { GuardWatcher } from '../client/guard';
import { OtpClient } from '../client/otp-client';
import { RateLimitedError } from '../client/errors';
import { guardFeedSignal, guardViewQuery, guardWorkflowId } from '../domain/guard-messages';
import { guardSettingsOf } from '../domain/guard-policy';
import { guardWorkflow } from '../workflows/guard';
import { ensureApplication } from '../setup/applications';
import { createEmulator, type Emulator } from '../emulator';
import { createInfobipClient, type InfobipClient } from '../infobip';
import { GuardReporter } from '../worker/guard-reporter';
import { testApplication } from './harness/stack';
import { startWorker, connectTestEnv, type RunningWorker } from './harness/temporal';
import { pool, waitFor } from './chaos/support';

const SECRET = 'guard-alert-secret';
const API_KEY = 'guard-workflow-emulator-key';
let env: TestWorkflowEnvironment;
let emulator: Emulator;
let infobip: InfobipClient;
let worker: RunningWorker;
let reporter: GuardReporter;
let receiver: Server;
const alerts: { headers: Record<string, unknown>; body: string }[] = [];

/** A breaker on a seconds-long clock: 6 sends in 20 s block a prefix without baseline. */
function guarded(name: string, over: Partial<ApplicationDeclaration['guard']> = {}): ApplicationDeclaration {
  const app = testApplication(name);
  app.policy = { ...app.policy, lookup: 'OFF', ttlSeconds: 120 };
  app.infobip = { ...app.infobip, sendPinPerPhoneNumberLimit: '100/1d' };
  app.guard = {
    breaker: {
      bucketSeconds: 1,
      windowSeconds: 60,
      verifyGraceSeconds: 5,
      minVolume: 50,
      spikeWindowSeconds: 20,
      spikeFactor: 5,
      minSpikeVolume: 6,
      coolOffSeconds: 4,
      baselineHalfLifeSeconds: 600,
    },
    ...over,
  };
  return app;
}

const spiky = guarded('guard-spiky');
const limited = guarded('guard-limited', {
  breaker: { enabled: false },
  velocity: { perPrefix: { max: 3, windowSeconds: 60 } },
});
const renewed = guarded('guard-renewed');
const applications = [spiky, limited, renewed];
let otp: OtpClient;
let watcher: GuardWatcher;

beforeAll(async () => {
  env = await connectTestEnv();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      alerts.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  spiky.webhook = {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`,
    secretEnv: 'GUARD_ALERT_SECRET',
  };
  emulator = await createEmulator({ apiKeys: [API_KEY], managementLimits: false });
  infobip = createInfobipClient({ baseUrl: emulator.url, apiKey: API_KEY });
  for (const app of applications) await ensureApplication(infobip, app, { dryRun: false });
  const taskQueue = `guard-${Date.now()}`;
  reporter = new GuardReporter(applications, { taskQueue, intervalMs: 500 });
  worker = await startWorker(env, {
    taskQueue,
    activities: createActivities({
      infobip,
      applications,
      webhookSecrets: { GUARD_ALERT_SECRET: SECRET },
      guardFeed: reporter,
    }),
  });
  reporter.start(env.client);
  watcher = new GuardWatcher(env.client, { pollMs: 300 });
  watcher.watch(applications.map((a) => a.name));
  otp = new OtpClient({
    client: env.client,
    applications,
    destinationHashKey: Buffer.alloc(32, 9),
    taskQueue,
    guard: watcher,
  });
});
afterAll(async () => {
  watcher?.close();
  await reporter?.close();
  await worker?.shutdown();
  await emulator?.close();
  await infobip?.close();
  receiver?.closeAllConnections();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  await env?.teardown();
});

let n = 0;
/** A fresh valid number of a prefix: `+41 79 3…` → `+41793` with 3 national digits. */
const numberIn = (prefix: '+41793' | '+41794' | '+41795' | '+41796', i = n++) =>
  `${prefix}${String(100_000 + (i % 900_000)).padStart(6, '0')}`;

const view = (app: string) => env.client.workflow.getHandle(guardWorkflowId(app)).query(guardViewQuery);

describe('the pumping breaker', () => {
  it('counts sends and verifications per prefix from aggregated feeds', async () => {
    const to = numberIn('+41794');
    const { id } = await otp.start({ application: spiky.name, destination: to });
    await otp.check(id, emulator.inbox.latest(to)!.pin);
    const figures = await waitFor(async () => {
      const p = (await view(spiky.name).catch(() => undefined))?.prefixes.find((x) => x.prefix === '+41794');
      return p && p.verified === 1 ? p : undefined;
    }, 'the feed to reach the guard');
    // Within the 5 s grace the send is not judged yet: no conversion.
    expect(figures).toEqual({ prefix: '+41794', sends: 1, verified: 1, recentSends: 1, baseline: 0 });
  });

  it('blocks a prefix whose sends jump, alerts with a signed webhook, and refuses starts to it only', async () => {
    const sends = () => emulator.stats.requests()['POST /2fa/2/pin'] ?? 0;
    await pool(
      Array.from({ length: 6 }, () => numberIn('+41793')),
      3,
      (to) => otp.start({ application: spiky.name, destination: to }),
    );
    const block = await waitFor(
      async () => (await view(spiky.name)).blocks.find((b) => b.prefix === '+41793'),
      'a block',
    );
    expect(block).toMatchObject({ rule: 'SPIKE', sends: 6, windowSeconds: 20 });

    await waitFor(
      () => (watcher.peek(spiky.name)?.blocks.length ? true : undefined),
      'the watcher to learn the block',
    );
    const before = sends();
    const refused = await otp
      .start({ application: spiky.name, destination: numberIn('+41793') })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused).toMatchObject({ code: 'OTP_RATE_LIMITED', reason: 'PREFIX_BLOCKED' });
    expect((refused as RateLimitedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(sends()).toBe(before);
    await expect(
      otp.start({ application: spiky.name, destination: numberIn('+41795') }),
    ).resolves.toMatchObject({
      status: 'PENDING',
    });

    const alert = await waitFor(() => alerts.find((a) => a.body.includes('+41793')), 'the alert webhook');
    const body = JSON.parse(alert.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      event: 'guard.blocked',
      application: spiky.name,
      prefix: '+41793',
      rule: 'SPIKE',
    });
    const [t, v1] = String(alert.headers['x-otpflow-signature'])
      .split(',')
      .map((p) => p.split('=')[1]);
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${alert.body}`).digest('hex'));

    // The cool-off is 4 s: the block lifts by itself, and starts go through again.
    await waitFor(
      async () => ((await view(spiky.name)).blocks.length === 0 ? true : undefined),
      'the block to lift',
    );
    await waitFor(
      () => (watcher.peek(spiky.name)?.blocks.length === 0 ? true : undefined),
      'the watcher to see it',
    );
    await expect(
      otp.start({ application: spiky.name, destination: numberIn('+41793') }),
    ).resolves.toMatchObject({
      status: 'PENDING',
    });
    expect((await view(spiky.name)).lifted[0]).toMatchObject({
      prefix: '+41793',
      liftReason: 'cool-off over',
    });
  });

  it('lets operators block and unblock by hand, recording who and why', async () => {
    const block = await otp.guard.block(spiky.name, {
      prefix: '41796',
      seconds: 600,
      reason: 'premium range',
      by: 'alice',
    });
    expect(block).toMatchObject({ prefix: '+41796', rule: 'MANUAL', by: 'alice', reason: 'premium range' });
    await waitFor(
      () => (watcher.peek(spiky.name)?.blocks.some((b) => b.prefix === '+41796') ? true : undefined),
      'watcher',
    );
    await expect(
      otp.start({ application: spiky.name, destination: numberIn('+41796') }),
    ).rejects.toMatchObject({
      reason: 'PREFIX_BLOCKED',
    });
    expect(
      await otp.guard.unblock(spiky.name, { prefix: '+41796', reason: 'false alarm', by: 'bob' }),
    ).toMatchObject({
      prefix: '+41796',
    });
    expect(await otp.guard.unblock(spiky.name, { prefix: '+41796', by: 'bob' })).toBeNull();
    const status = await otp.guard.status(spiky.name);
    expect(status.lifted[0]).toMatchObject({
      prefix: '+41796',
      by: 'alice',
      liftedBy: 'bob',
      liftReason: 'false alarm',
    });
    await expect(otp.guard.block(spiky.name, { prefix: 'x', reason: 'r', by: 'a' })).rejects.toMatchObject({
      code: 'OTP_INVALID_INPUT',
      field: 'prefix',
    });
  });

  it('refuses starts to a prefix over its velocity limit until the window lets one through', async () => {
    for (let i = 0; i < 3; i++)
      await otp.start({ application: limited.name, destination: numberIn('+41795') });
    await waitFor(
      () => (watcher.peek(limited.name)?.limited.some((l) => l.prefix === '+41795') ? true : undefined),
      'the limit to show',
    );
    const refused = await otp
      .start({ application: limited.name, destination: numberIn('+41795') })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'OTP_RATE_LIMITED', reason: 'PREFIX_VELOCITY' });
    expect((refused as RateLimitedError).retryAfterSeconds).toBeGreaterThan(40);
    await expect(
      otp.start({ application: limited.name, destination: numberIn('+41794') }),
    ).resolves.toMatchObject({
      status: 'PENDING',
    });
  });

  it('keeps its state across continue-as-new', async () => {
    const base = guardSettingsOf(renewed);
    const settings = { ...base, breaker: { ...base.breaker, minSpikeVolume: 10_000 } };
    // A guard that renews after 60 events instead of 2,000.
    const handle = await env.client.workflow.start(guardWorkflow, {
      workflowId: guardWorkflowId(renewed.name),
      taskQueue: worker.taskQueue,
      args: [{ application: renewed.name, settings, historyLimit: 60 }],
    });
    await otp.guard.block(renewed.name, { prefix: '+4179', seconds: 600, reason: 'kept', by: 'alice' });
    const feed = { reporter: 'test', settings, counts: [{ prefix: '+41793', sends: 1, verified: 1 }] };
    for (let i = 0; i < 40; i++) await handle.signal(guardFeedSignal, feed);
    await waitFor(
      async () => ((await handle.describe()).runId !== handle.firstExecutionRunId ? true : undefined),
      'a continue-as-new',
    );
    const after = await handle.query(guardViewQuery);
    expect(after.blocks).toEqual([expect.objectContaining({ prefix: '+4179', by: 'alice' })]);
    // The counts came along too: 40 feeds of one send each, whichever run took them.
    expect(after.prefixes.find((p) => p.prefix === '+41793')).toMatchObject({ sends: 40, verified: 40 });
  });
});
