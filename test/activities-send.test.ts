/**
 * The decisions of `sendPin` on a retry attempt, as units in an activity context
 * (`MockActivityEnvironment` with `attempt` and `heartbeatDetails` of a previous attempt)
 * against the emulator: what it records in heartbeats, when it asks verification status,
 * and that it never sends when it cannot ask.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createActivities,
  FailureTypes,
  RetryableFailureTypes,
  type OtpActivities,
  type SendHeartbeat,
  type SendPinResult,
} from '../activities';
import { ensureApplication } from '../setup/applications';
import { sendResult } from '../activities/send-pin';
import { freshNumber, sampleDeclaration, startInfobip, type InfobipFixture } from './kits/infobip';

const quiet = new DefaultLogger('ERROR');
const app = sampleDeclaration('send');
let fx: InfobipFixture;
let acts: OtpActivities;
let appId: string;
let smsTemplate: string;
beforeAll(async () => {
  fx = await startInfobip();
  const setup = await ensureApplication(fx.client, app);
  appId = setup.applicationId ?? '';
  smsTemplate = setup.templates['SMS/en'] ?? '';
  acts = createActivities({ infobip: fx.client, applications: [app], clockSkewMs: 0 });
});
afterAll(async () => {
  await fx?.close();
});
afterEach(() => {
  fx.emulator.faults.clear();
  fx.emulator.stats.reset();
});

/** `env.run` with the result type TypeScript cannot infer through its generic signature. */
const runIn = <R>(env: MockActivityEnvironment, fn: () => Promise<R>): Promise<R> =>
  env.run<[], R, () => Promise<R>>(fn);

/** Runs sendPin as the given attempt; collects its heartbeats. */
async function attempt(
  to: string,
  info: { attempt?: number; heartbeatDetails?: SendHeartbeat; scheduledTimestampMs?: number } = {},
): Promise<{ result?: SendPinResult; error?: unknown; beats: SendHeartbeat[] }> {
  const env = new MockActivityEnvironment(info, { logger: quiet });
  const beats: SendHeartbeat[] = [];
  env.on('heartbeat', (d: SendHeartbeat) => beats.push(d));
  try {
    const result = await runIn(env, () => acts.sendPin({ application: app.name, channel: 'SMS', to }));
    return { result, beats };
  } catch (error) {
    return { error, beats };
  }
}

const statusCalls = () => fx.emulator.stats.requests()['GET /2fa/2/applications/{appId}/verifications'] ?? 0;
const sendCalls = () => fx.emulator.stats.requests()['POST /2fa/2/pin'] ?? 0;

/** Sends `n` PINs to `to` straight through the client: sends whose answers a retry never saw. */
async function sendPinsDirectly(to: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await fx.client.sendSmsPin({ applicationId: appId, messageId: smsTemplate, to }, { ncNeeded: false });
}

describe('first attempt', () => {
  it('asks nothing first, and heartbeats nothing when the send answers at once', async () => {
    const { result, beats } = await attempt(freshNumber());
    expect(result?.recovered).toBeUndefined();
    expect(statusCalls()).toBe(0);
    // A heartbeat in flight would delay the completion the person's check is waiting for.
    expect(beats).toEqual([]);
  });

  it('heartbeats the send start while a slow send runs', async () => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { latencyMs: 1_500 } });
    const before = Date.now();
    const { result, beats } = await attempt(freshNumber());
    expect(result?.pinId).toEqual(expect.any(String));
    expect(beats.at(-1)?.maybeSentSinceMs).toBeGreaterThanOrEqual(before);
    expect(beats.at(-1)?.maybeSentSinceMs).toBeLessThanOrEqual(Date.now() - 1_000);
  });

  it('clears the record when the failure proves nothing reached Infobip, keeps it when it may have', async () => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { status: 400 } });
    expect((await attempt(freshNumber())).beats.at(-1)).toEqual({ maybeSentSinceMs: null });
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { reset: true } });
    expect((await attempt(freshNumber())).beats.at(-1)?.maybeSentSinceMs).toEqual(expect.any(Number));
  });
});

describe('retry attempt', () => {
  it('after a send that may have gone out but did not: asks, then sends once (NOT_SENT_BEFORE)', async () => {
    const to = freshNumber();
    const since = Date.now() - 5_000;
    const { result } = await attempt(to, { attempt: 2, heartbeatDetails: { maybeSentSinceMs: since } });
    expect(result?.recovered).toBe('NOT_SENT_BEFORE');
    expect(statusCalls()).toBe(1);
    expect(fx.emulator.inbox.messages(to)).toHaveLength(1);
  });

  it('after a send that did go out: a fresh PIN, SENT_BEFORE_PIN_UNKNOWN, the start passed on', async () => {
    const to = freshNumber();
    const since = Date.now() - 1_000;
    // What the lost attempt did: Infobip sent a PIN whose answer never arrived.
    await fx.client.sendSmsPin({ applicationId: appId, messageId: smsTemplate, to }, { ncNeeded: false });
    const { result, beats } = await attempt(to, {
      attempt: 2,
      heartbeatDetails: { maybeSentSinceMs: since },
    });
    expect(result?.recovered).toBe('SENT_BEFORE_PIN_UNKNOWN');
    expect(fx.emulator.inbox.messages(to)).toHaveLength(2);
    expect(fx.emulator.inbox.latest(to)?.pinId).toBe(result?.pinId);
    expect(beats).toEqual([]);
    // Had the recovery send failed too, its attempt would have passed the same start on.
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { reset: true } });
    const again = await attempt(to, { attempt: 3, heartbeatDetails: { maybeSentSinceMs: since } });
    expect(again.error).toBeInstanceOf(ApplicationFailure);
    expect(again.beats.at(-1)).toEqual({ maybeSentSinceMs: since });
  });

  it('after two lost answers: a third PIN, counted as two lost messages', async () => {
    const to = freshNumber();
    const since = Date.now() - 1_000;
    await sendPinsDirectly(to, 2);
    const { result } = await attempt(to, { attempt: 3, heartbeatDetails: { maybeSentSinceMs: since } });
    expect(result).toMatchObject({ recovered: 'SENT_BEFORE_PIN_UNKNOWN', lostMessages: 2 });
    expect(fx.emulator.inbox.messages(to)).toHaveLength(3);
    expect(fx.emulator.inbox.latest(to)?.pinId).toBe(result?.pinId);
  });

  it('after maxLostSendAnswers lost answers: fails for good with the count, sending nothing', async () => {
    const to = freshNumber();
    const since = Date.now() - 1_000;
    await sendPinsDirectly(to, 3);
    const { error } = await attempt(to, { attempt: 4, heartbeatDetails: { maybeSentSinceMs: since } });
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: FailureTypes.SEND_ANSWERS_LOST, nonRetryable: true, details: [3] });
    expect(sendCalls()).toBe(3);
    expect(fx.emulator.inbox.messages(to)).toHaveLength(3);
  });

  it('a PIN sent before the send started is not this send', async () => {
    const to = freshNumber();
    await fx.client.sendSmsPin({ applicationId: appId, messageId: smsTemplate, to }, { ncNeeded: false });
    const { result } = await attempt(to, {
      attempt: 2,
      heartbeatDetails: { maybeSentSinceMs: Date.now() + 1_000 },
    });
    expect(result?.recovered).toBe('NOT_SENT_BEFORE');
  });

  it('without heartbeat details, asks about everything since the activity was scheduled', async () => {
    const to = freshNumber();
    const scheduled = Date.now() - 2_000;
    await fx.client.sendSmsPin({ applicationId: appId, messageId: smsTemplate, to }, { ncNeeded: false });
    const { result } = await attempt(to, { attempt: 3, scheduledTimestampMs: scheduled });
    expect(result?.recovered).toBe('SENT_BEFORE_PIN_UNKNOWN');
  });

  it('after failures that reached nothing: still asks, but reports no recovery', async () => {
    const to = freshNumber();
    const { result } = await attempt(to, { attempt: 2, heartbeatDetails: { maybeSentSinceMs: null } });
    expect(statusCalls()).toBe(1);
    expect(result?.recovered).toBeUndefined();
    expect(fx.emulator.inbox.messages(to)).toHaveLength(1);
  });

  it('never sends when it cannot ask: the attempt fails retryably', async () => {
    fx.emulator.faults.add({
      match: { path: '/2fa/2/applications/{appId}/verifications' },
      times: 1,
      action: { status: 503 },
    });
    const to = freshNumber();
    const { error } = await attempt(to, { attempt: 2, heartbeatDetails: { maybeSentSinceMs: Date.now() } });
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: RetryableFailureTypes.SERVER_ERROR, nonRetryable: false });
    expect(sendCalls()).toBe(0);
    expect(fx.emulator.inbox.messages(to)).toHaveLength(0);
  });
});

describe('results by channel', () => {
  it('maps voice, e-mail and an SMS Infobip did not send', async () => {
    const env = new MockActivityEnvironment({}, { logger: quiet });
    const to = freshNumber();
    await expect(
      runIn(env, () => acts.sendPin({ application: app.name, channel: 'VOICE', to })),
    ).resolves.toMatchObject({
      infobipStatus: 'PENDING_ACCEPTED',
      delivered: true,
    });
    await expect(
      runIn(env, () => acts.sendPin({ application: app.name, channel: 'EMAIL', to: 'x@example.com' })),
    ).resolves.toMatchObject({ infobipStatus: 'PENDING_ACCEPTED', delivered: true });
    const sent = await runIn(env, () => acts.sendPin({ application: app.name, channel: 'SMS', to }));
    await expect(
      runIn(env, () => acts.resendPin({ application: app.name, channel: 'SMS', pinId: sent.pinId ?? '' })),
    ).resolves.toMatchObject({ pinId: sent.pinId, delivered: true });
    const [resent, first] = fx.emulator.inbox.messages(to);
    expect(resent?.pin).toBe(first?.pin);
    // With Number Lookup on, Infobip may answer 200 without sending: not delivered.
    expect(
      sendResult('SMS', {
        pinId: 'P',
        smsStatus: 'MESSAGE_NOT_SENT',
        ncStatus: 'NC_DESTINATION_NOT_REACHABLE',
      }),
    ).toEqual({
      pinId: 'P',
      infobipStatus: 'MESSAGE_NOT_SENT',
      delivered: false,
    });
  });
});
