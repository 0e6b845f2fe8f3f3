/**
 * The activities under a real worker on the shared dev server, each run by a one-activity probe
 * workflow with a short retry policy, against the emulator: what Temporal retries and what it
 * does not, 429 waiting for Retry-After, and the no-second-PIN rule counted in the inbox.
 */
import { randomUUID } from 'node:crypto';
import { ActivityFailure, ApplicationFailure, type ActivityOptions } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActivities, FailureTypes, type OtpActivities, type SendPinResult } from '../activities';
import { ensureApplication } from '../setup/applications';
import {
  bundleProbeWorkflow,
  freshNumber,
  PROBE_WORKFLOW,
  sampleDeclaration,
  startInfobip,
  type InfobipFixture,
} from './kits/infobip';
import { connectTestEnv, uniqueTaskQueue } from './harness/temporal';

let env: TestWorkflowEnvironment;
let fx: InfobipFixture;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('activities');
const app = sampleDeclaration('retries');

beforeAll(async () => {
  [env, fx] = await Promise.all([connectTestEnv(), startInfobip()]);
  await ensureApplication(fx.client, app);
  const code = await bundleProbeWorkflow();
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: { code },
    activities: createActivities({ infobip: fx.client, applications: [app], heartbeatIntervalMs: 200 }),
  });
  running = worker.run();
});
afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await fx?.close();
  await env?.teardown();
});
afterEach(() => fx.emulator.faults.clear());

const policy: ActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '30s',
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 1,
    maximumAttempts: 6,
    nonRetryableErrorTypes: Object.values(FailureTypes),
  },
};

function probe<K extends keyof OtpActivities>(
  name: K,
  input: Parameters<OtpActivities[K]>[0],
  options = policy,
) {
  return env.client.workflow.execute(PROBE_WORKFLOW, {
    taskQueue,
    workflowId: `probe-${name}-${randomUUID()}`,
    args: [name, [input], options],
  }) as ReturnType<OtpActivities[K]>;
}

function probeCancelled(
  name: keyof OtpActivities,
  input: unknown,
  options: ActivityOptions,
  cancelAfterMs: number,
) {
  return env.client.workflow.execute(PROBE_WORKFLOW, {
    taskQueue,
    workflowId: `probe-cancel-${name}-${randomUUID()}`,
    args: [name, [input], options, cancelAfterMs],
  }) as Promise<unknown>;
}

/** The ApplicationFailure at the root of a failed probe. */
async function rootFailure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const activityFailure = (err as WorkflowFailedError).cause;
  expect(activityFailure).toBeInstanceOf(ActivityFailure);
  expect(activityFailure?.cause).toBeInstanceOf(ApplicationFailure);
  return activityFailure?.cause as ApplicationFailure;
}

const sendPosts = () => fx.emulator.stats.requests()['POST /2fa/2/pin'] ?? 0;

describe('not retried', () => {
  it.each([
    [400, FailureTypes.BAD_REQUEST],
    [401, FailureTypes.UNAUTHORIZED],
    [403, FailureTypes.UNAUTHORIZED],
    [404, FailureTypes.NOT_FOUND],
  ])('%i fails the activity at once as %s', async (status, type) => {
    fx.emulator.stats.reset();
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, action: { status } });
    const f = await rootFailure(
      probe('sendPin', { application: app.name, channel: 'SMS', to: freshNumber() }),
    );
    expect(f).toMatchObject({ type, nonRetryable: true });
    expect(sendPosts()).toBe(1);
  });

  it('a send limit fails at once as InfobipRateLimited', async () => {
    fx.emulator.stats.reset();
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, action: { status: 429, retryAfter: 86_400 } });
    const f = await rootFailure(
      probe('sendPin', { application: app.name, channel: 'SMS', to: freshNumber() }),
    );
    expect(f).toMatchObject({ type: FailureTypes.RATE_LIMITED, nonRetryable: true });
    expect(sendPosts()).toBe(1);
  });
});

describe('retried until success', () => {
  it('a 429 is retried after its Retry-After delay', async () => {
    fx.emulator.stats.reset();
    fx.emulator.faults.add({
      match: { path: '/2fa/2/pin' },
      times: 1,
      action: { status: 429, retryAfter: 2 },
    });
    const to = freshNumber();
    const started = Date.now();
    const res = await probe('sendPin', { application: app.name, channel: 'SMS', to });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(res).toMatchObject({ infobipStatus: 'MESSAGE_SENT', delivered: true });
    expect(res.pinId).toMatch(/\S/);
    expect(sendPosts()).toBe(2);
    expect(fx.emulator.inbox.messages(to)).toHaveLength(1);
  });

  it('500, 503 and a connection reset are retried; one SMS goes out', async () => {
    fx.emulator.stats.reset();
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { status: 500 } });
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { status: 503 } });
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { reset: true } });
    const to = freshNumber();
    const res = await probe('sendPin', { application: app.name, channel: 'SMS', to });
    expect(res).toMatchObject({ delivered: true, recovered: 'NOT_SENT_BEFORE' });
    expect(sendPosts()).toBe(4);
    const inbox = fx.emulator.inbox.messages(to);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]?.pinId).toBe(res.pinId);
  });

  it('lookups and verifies are retried through outages too', async () => {
    fx.emulator.faults.add({ match: { path: '/number/1/query' }, times: 2, action: { status: 503 } });
    await expect(
      probe('lookupNumber', { application: app.name, destination: '+41793020000' }),
    ).resolves.toMatchObject({
      outcome: 'REACHABLE',
    });
    const to = freshNumber();
    const sent = await probe('sendPin', { application: app.name, channel: 'SMS', to });
    fx.emulator.faults.add({
      match: { path: '/2fa/2/pin/{pinId}/verify' },
      times: 1,
      action: { reset: true },
    });
    const pin = fx.emulator.inbox.latest(to)?.pin ?? '';
    await expect(probe('verifyPin', { pinId: sent.pinId ?? '', code: pin })).resolves.toMatchObject({
      verified: true,
    });
  });
});

describe('no second PIN', () => {
  it('a lost answer to a send that never reached the phone: one SMS in all', async () => {
    // The connection dies before Infobip acts: the client cannot tell, the retry asks Infobip.
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { reset: true } });
    const to = freshNumber();
    const res: SendPinResult = await probe('sendPin', { application: app.name, channel: 'SMS', to });
    expect(res.recovered).toBe('NOT_SENT_BEFORE');
    expect(fx.emulator.inbox.messages(to)).toHaveLength(1);
  });

  it('a lost answer to a send that did go out: the documented minimum of two, the newest verifies', async () => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { dropResponse: true } });
    const to = freshNumber();
    const res: SendPinResult = await probe('sendPin', { application: app.name, channel: 'SMS', to });
    expect(res).toMatchObject({ recovered: 'SENT_BEFORE_PIN_UNKNOWN', delivered: true });
    const [newest, lost] = fx.emulator.inbox.messages(to);
    expect(fx.emulator.inbox.messages(to)).toHaveLength(2);
    expect(newest?.pinId).toBe(res.pinId);
    expect(lost?.pinId).not.toBe(res.pinId);
    await expect(
      probe('verifyPin', { pinId: res.pinId ?? '', code: newest?.pin ?? '' }),
    ).resolves.toMatchObject({ verified: true });
  });

  it.each([
    ['naming the application', app.name],
    ['without the application', undefined],
  ])('a verify whose success answer was lost is still a success on retry (%s)', async (_, application) => {
    const to = freshNumber();
    const sent = await probe('sendPin', { application: app.name, channel: 'SMS', to });
    // allowMultiplePinVerifications is false: the retry meets a consumed PIN.
    fx.emulator.faults.add({
      match: { path: '/2fa/2/pin/{pinId}/verify' },
      times: 1,
      action: { dropResponse: true },
    });
    const pin = fx.emulator.inbox.latest(to)?.pin ?? '';
    fx.emulator.stats.reset();
    const res = await probe('verifyPin', { pinId: sent.pinId ?? '', code: pin, application });
    expect(res).toMatchObject({ verified: true, attemptsRemaining: 0 });
    expect(fx.emulator.stats.requests()['POST /2fa/2/pin/{pinId}/verify']).toBe(2);
  });
});

describe('cancellation', () => {
  it('a cancelled send stops its call at once instead of waiting for Infobip', async () => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { latencyMs: 10_000 } });
    const started = Date.now();
    const res = await probeCancelled(
      'sendPin',
      { application: app.name, channel: 'SMS', to: freshNumber() },
      { ...policy, heartbeatTimeout: '2s', startToCloseTimeout: '20s' },
      500,
    );
    expect(res).toEqual({ cancelled: true });
    // The workflow waited for the activity to acknowledge: it stopped well before Infobip answered.
    expect(Date.now() - started).toBeLessThan(6_000);
  });
});
