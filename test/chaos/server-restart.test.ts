/**
 * Server restart: a dev server of this file's own (its own SQLite file and port) is torn down
 * while flows are pending, sending and waiting on timers, then started again on the same file
 * and port. The flows resume; timers that came due while it was down fire; codes and cancels
 * sent afterwards work; no PIN is sent twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createActivities } from '../../activities';
import { ensureApplication } from '../../setup/applications';
import { createEmulator, type Emulator } from '../../emulator';
import { createInfobipClient, type InfobipClient } from '../../infobip';
import { SEARCH_ATTRIBUTES } from '../../domain/constants';
import { cancelSignal, statusQuery, verifyUpdate } from '../../domain/messages';
import type { VerificationInput } from '../../domain/types';
import { createOwnLocalServer } from '../../dev/own-dev-server';
import { devServerExtraArgs } from '../../dev/server-flags';
import { testNumber } from '../harness/stack';
import { installQuietRuntime } from '../harness/temporal';
import {
  API_KEY,
  chaosApplication,
  flowInput,
  messagesAccountedFor,
  reportFigures,
  resultOf,
  startVerification,
  waitFor,
  type Handle,
} from './support';
import { freePort } from '../harness/ports';

const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-restart-'));
const dbFilename = path.join(dir, 'temporal.db');
const app = chaosApplication({ lookup: 'OFF', ttlSeconds: 120, maxAttempts: 3 });
const taskQueue = 'restart';
/** Expiry and fallback timers of the flows the outage is aimed at. */
const TIMER_S = 20;
let port: number;
let server: TestWorkflowEnvironment | undefined;
let emulator: Emulator;
let infobip: InfobipClient;
let workerConnection: NativeConnection | undefined;

async function startServer(): Promise<TestWorkflowEnvironment> {
  const cliPath = inject('temporalCliPath');
  // Proven ours: the port is fixed across the restart, so another process could take it meanwhile.
  return createOwnLocalServer({
    server: {
      executable: cliPath ? { type: 'existing-path', path: cliPath } : { type: 'cached-download' },
      dbFilename,
      port,
      ip: '127.0.0.1',
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: devServerExtraArgs,
      ui: false,
    },
  });
}

beforeAll(async () => {
  installQuietRuntime();
  port = await freePort();
  server = await startServer();
  emulator = await createEmulator({ apiKeys: [API_KEY], managementLimits: false });
  infobip = createInfobipClient({ baseUrl: emulator.url, apiKey: API_KEY, headersTimeoutMs: 3_000 });
  await ensureApplication(infobip, app, { dryRun: false });
});
afterAll(async () => {
  await workerConnection?.close().catch(() => undefined);
  await server?.teardown();
  await emulator?.close();
  await infobip?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A worker on its own connection, so tearing the server down does not close it under the worker. */
async function runWorker(): Promise<{ worker: Worker; done: Promise<void> }> {
  workerConnection ??= await NativeConnection.connect({ address: `127.0.0.1:${port}` });
  const worker = await Worker.create({
    connection: workerConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: createActivities({ infobip, applications: [app], heartbeatIntervalMs: 300 }),
  });
  return { worker, done: worker.run() };
}

it('resumes flows and fires timers that came due while the dev server was down', async () => {
  const address = `127.0.0.1:${port}`;
  const client = new Client({ connection: await Connection.connect({ address }) });
  let { worker, done } = await runWorker();
  let workerDied = false;
  done.catch(() => (workerDied = true));

  const start = (input: VerificationInput) => startVerification(client, taskQueue, input);
  const groups: Record<'expire' | 'fallback' | 'verify' | 'cancel' | 'sending', { to: string; h: Handle }[]> =
    {
      expire: [],
      fallback: [],
      verify: [],
      cancel: [],
      sending: [],
    };
  const pending = (h: Handle) =>
    waitFor(
      async () => ((await h.query(statusQuery)).status === 'PENDING' ? true : undefined),
      'PENDING',
      60_000,
    );
  const launch = async (g: keyof typeof groups, input: (to: string) => VerificationInput) => {
    const to = testNumber();
    const h = await start(input(to));
    groups[g].push({ to, h });
    return h;
  };
  const eight = Array.from({ length: 8 });
  await Promise.all(
    eight
      .flatMap(() => [
        launch('verify', (to) => flowInput(app, to)),
        launch('cancel', (to) => flowInput(app, to)),
      ])
      .map(async (p) => pending(await p)),
  );
  await Promise.all(
    eight
      .flatMap(() => [
        launch('expire', (to) => flowInput(app, to, { policy: { ttlSeconds: TIMER_S } })),
        launch('fallback', (to) =>
          flowInput(app, to, { policy: { fallback: [{ channel: 'VOICE', afterSeconds: TIMER_S }] } }),
        ),
      ])
      .map(async (p) => pending(await p)),
  );
  // The outage is timed so that every 20 s timer comes due while the server is down.
  const dues = await Promise.all(
    [...groups.expire, ...groups.fallback].map(async ({ h }) => {
      const send = (await h.query(statusQuery)).timeline.find((e) => e.kind === 'SEND')!;
      return Date.parse(send.at) + TIMER_S * 1_000;
    }),
  );
  const earliest = Math.min(...dues);
  const latest = Math.max(...dues);
  expect(earliest - Date.now()).toBeGreaterThan(2_000);
  await new Promise((r) => setTimeout(r, earliest - 3_000 - Date.now()));
  // Flows caught mid-send: their send is slow, so the server goes down under it.
  const slow = emulator.faults.add({
    match: { method: 'POST', path: '/2fa/2/pin' },
    times: 4,
    action: { latencyMs: 2_500 },
  });
  for (let i = 0; i < 4; i++) {
    const to = testNumber();
    groups.sending.push({ to, h: await start(flowInput(app, to)) });
  }
  await new Promise((r) => setTimeout(r, Math.max(0, earliest - 700 - Date.now())));

  const downAt = Date.now();
  await server!.teardown();
  server = undefined;
  await new Promise((r) => setTimeout(r, Math.max(3_000, latest + 1_000 - Date.now())));
  server = await startServer();
  const upAt = Date.now();
  emulator.faults.remove(slow.id);
  if (workerDied) ({ worker, done } = await runWorker());

  // Timers that came due during the outage fire after it.
  for (const { h } of groups.expire) {
    const r = await resultOf(h);
    expect(r.status).toBe('EXPIRED');
    const sentAt = Date.parse(r.timeline.find((e) => e.kind === 'SEND')!.at);
    // The timer came due while the server was down, and fired afterwards.
    expect(sentAt + TIMER_S * 1_000).toBeGreaterThanOrEqual(downAt);
    expect(sentAt + TIMER_S * 1_000).toBeLessThanOrEqual(upAt);
    expect(Date.parse(r.timeline.at(-1)!.at)).toBeGreaterThanOrEqual(upAt - 1_000);
  }
  for (const { to, h } of groups.fallback) {
    // The fallback timer also came due while down; the voice PIN went out after the restart.
    const voice = await waitFor(
      () => emulator.inbox.messages(to).find((m) => m.channel === 'VOICE'),
      'voice PIN',
    );
    expect(await h.executeUpdate(verifyUpdate, { args: [voice.pin] })).toMatchObject({ status: 'VERIFIED' });
    expect((await resultOf(h)).channel).toBe('VOICE');
  }
  for (const { to, h } of [...groups.verify, ...groups.sending]) {
    await waitFor(
      async () => ((await h.query(statusQuery)).status === 'PENDING' ? true : undefined),
      'PENDING',
      60_000,
    );
    const pin = emulator.inbox.messages(to)[0]!.pin;
    expect(await h.executeUpdate(verifyUpdate, { args: [pin] })).toMatchObject({ status: 'VERIFIED' });
  }
  for (const { h } of groups.cancel) await h.signal(cancelSignal, 'after restart');
  for (const { h } of groups.cancel) expect((await resultOf(h)).status).toBe('CANCELLED');

  let extraPins = 0;
  const all = Object.values(groups).flat();
  for (const { to, h } of all) {
    const pins = new Set(emulator.inbox.messages(to).map((m) => m.pin)).size;
    extraPins += Math.max(0, pins - messagesAccountedFor((await resultOf(h)).timeline).max);
  }
  expect(extraPins).toBe(0);
  reportFigures('server-restart', {
    serverRestarts: 1,
    downtimeMs: upAt - downAt,
    flowsChecked: all.length,
    timersFiredAfterRestart: groups.expire.length + groups.fallback.length,
    workerSurvivedRestart: workerDied ? 'no (restarted)' : 'yes',
    extraPins,
  });
  worker.shutdown();
  await done.catch(() => undefined);
  await client.connection.close();
}, 240_000);
