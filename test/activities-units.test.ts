/**
 * Activities as units inside a Temporal activity context (`MockActivityEnvironment`) against
 * the emulator: the failure type and retryability of each Infobip outcome, lookup decisions,
 * configuration errors, cancellation.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActivities, FailureTypes, RetryableFailureTypes, type OtpActivities } from '../activities';
import { ensureApplication } from '../setup/applications';
import { hashDestination, verificationId } from '../client/identity';
import { freshNumber, sampleDeclaration, startInfobip, type InfobipFixture } from './kits/infobip';

const quiet = new DefaultLogger('ERROR');
let fx: InfobipFixture;
let acts: OtpActivities;
const app = sampleDeclaration('units');
const disabled = sampleDeclaration('units-off', { enabled: false });
beforeAll(async () => {
  fx = await startInfobip();
  await ensureApplication(fx.client, app);
  acts = createActivities({ infobip: fx.client, applications: [app, disabled], maxRetryAfterMs: 60_000 });
});
afterAll(async () => {
  await fx?.close();
});
afterEach(() => fx.emulator.faults.clear());

function run<R>(
  fn: () => Promise<R>,
  info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {},
): Promise<R> {
  return new MockActivityEnvironment(info, { logger: quiet }).run(fn);
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

const sms =
  (to = freshNumber()) =>
  () =>
    acts.sendPin({ application: 'units', channel: 'SMS', to });

describe('sendPin failures by HTTP status', () => {
  it.each([
    [400, FailureTypes.BAD_REQUEST],
    [401, FailureTypes.UNAUTHORIZED],
    [403, FailureTypes.UNAUTHORIZED],
    [404, FailureTypes.NOT_FOUND],
  ])('%i is non-retryable %s', async (status, type) => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { status } });
    const f = await failureOf(run(sms()));
    expect(f).toMatchObject({ type, nonRetryable: true });
  });

  it.each([500, 503])('%i is retryable', async (status) => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { status } });
    const f = await failureOf(run(sms()));
    expect(f).toMatchObject({ type: RetryableFailureTypes.SERVER_ERROR, nonRetryable: false });
  });

  it('a reset is retryable', async () => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { reset: true } });
    expect(await failureOf(run(sms()))).toMatchObject({
      type: RetryableFailureTypes.NETWORK,
      nonRetryable: false,
    });
  });

  it('a throttling 429 is retryable after Retry-After, or with backoff when absent', async () => {
    fx.emulator.faults.add({
      match: { path: '/2fa/2/pin' },
      times: 1,
      action: { status: 429, retryAfter: 3 },
    });
    const f = await failureOf(run(sms()));
    expect(f).toMatchObject({
      type: RetryableFailureTypes.THROTTLED,
      nonRetryable: false,
      nextRetryDelay: 3000,
    });
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { status: 429 } });
    const g = await failureOf(run(sms()));
    expect(g).toMatchObject({ type: RetryableFailureTypes.THROTTLED, nonRetryable: false });
    expect(g.nextRetryDelay).toBeUndefined();
  });

  it('a 429 asking to wait longer than the threshold is a non-retryable rate limit', async () => {
    fx.emulator.faults.add({
      match: { path: '/2fa/2/pin' },
      times: 1,
      action: { status: 429, retryAfter: 3600 },
    });
    expect(await failureOf(run(sms()))).toMatchObject({
      type: FailureTypes.RATE_LIMITED,
      nonRetryable: true,
    });
  });

  it('the per-number send limit is a non-retryable rate limit, without the number in the message', async () => {
    const strict = sampleDeclaration('units-strict');
    strict.infobip.sendPinPerPhoneNumberLimit = '1/1d';
    await ensureApplication(fx.client, strict);
    const local = createActivities({ infobip: fx.client, applications: [strict] });
    const to = freshNumber();
    const send = () => local.sendPin({ application: 'units-strict', channel: 'SMS', to });
    await run(send);
    const f = await failureOf(run(send));
    expect(f).toMatchObject({ type: FailureTypes.RATE_LIMITED, nonRetryable: true });
    expect(f.message).not.toContain(to.slice(1));
  });
});

it('the send limit in the E429 envelope (text in its violations) is a rate limit too', async () => {
  const e429 = await startInfobip({ rateLimitEnvelope: 'E429' });
  try {
    const strict = sampleDeclaration('units-e429');
    strict.infobip.sendPinPerPhoneNumberLimit = '1/1d';
    await ensureApplication(e429.client, strict);
    const local = createActivities({ infobip: e429.client, applications: [strict] });
    const send = () => local.sendPin({ application: 'units-e429', channel: 'SMS', to: '+41791112222' });
    await run(send);
    expect(await failureOf(run(send))).toMatchObject({ type: FailureTypes.RATE_LIMITED, nonRetryable: true });
    // A plain throttling 429 in the same envelope stays retryable.
    e429.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { status: 429 } });
    const other = () => local.sendPin({ application: 'units-e429', channel: 'SMS', to: '+41791113333' });
    expect(await failureOf(run(other))).toMatchObject({
      type: RetryableFailureTypes.THROTTLED,
      nonRetryable: false,
    });
  } finally {
    await e429.close();
  }
});

describe('configuration and destination errors', () => {
  it('an undeclared application, a disabled one, a channel without template', async () => {
    const undeclared = () => acts.sendPin({ application: 'nope', channel: 'SMS', to: freshNumber() });
    expect(await failureOf(run(undeclared))).toMatchObject({
      type: FailureTypes.NOT_CONFIGURED,
      nonRetryable: true,
    });
    const off = () => acts.sendPin({ application: 'units-off', channel: 'SMS', to: freshNumber() });
    expect(await failureOf(run(off))).toMatchObject({
      type: FailureTypes.APPLICATION_DISABLED,
      nonRetryable: true,
    });
    const noVoice = sampleDeclaration('units-novoice', { templates: { sms: app.templates.sms } });
    const local = createActivities({ infobip: fx.client, applications: [noVoice] });
    const voice = () => local.sendPin({ application: 'units-novoice', channel: 'VOICE', to: freshNumber() });
    expect(await failureOf(run(voice))).toMatchObject({
      type: FailureTypes.NOT_CONFIGURED,
      nonRetryable: true,
    });
  });

  it('a declared application not set up at Infobip is not configured', async () => {
    const local = createActivities({ infobip: fx.client, applications: [sampleDeclaration('never-set-up')] });
    const send = () => local.sendPin({ application: 'never-set-up', channel: 'SMS', to: freshNumber() });
    expect(await failureOf(run(send))).toMatchObject({
      type: FailureTypes.NOT_CONFIGURED,
      nonRetryable: true,
    });
  });

  it('a destination that does not fit the channel is rejected before any call', async () => {
    fx.emulator.stats.reset();
    const bad = () => acts.sendPin({ application: 'units', channel: 'SMS', to: 'someone@example.com' });
    expect(await failureOf(run(bad))).toMatchObject({
      type: FailureTypes.INVALID_DESTINATION,
      nonRetryable: true,
    });
    const badMail = () => acts.sendPin({ application: 'units', channel: 'EMAIL', to: '+41793026727' });
    expect(await failureOf(run(badMail))).toMatchObject({
      type: FailureTypes.INVALID_DESTINATION,
      nonRetryable: true,
    });
    expect(fx.emulator.stats.requests()).toEqual({});
  });
});

describe("the workers' destination-hash key (#19)", () => {
  const key = Buffer.alloc(32, 7);
  const keyed = () => createActivities({ infobip: fx.client, applications: [app], destinationHashKey: key });
  const inFlow = { workflowExecution: { workflowId: 'caller-chosen', runId: 'r' } };

  it('refuses a lookup or first send whose hash or derived ID was made with another key, before any call', async () => {
    const to = freshNumber();
    const foreign = hashDestination(to, Buffer.alloc(32, 8));
    fx.emulator.stats.reset();
    const lookup = () =>
      keyed().lookupNumber({ application: 'units', destination: to, destinationHash: foreign });
    expect(await failureOf(run(lookup, inFlow))).toMatchObject({
      type: FailureTypes.IDENTITY_MISMATCH,
      nonRetryable: true,
    });
    const claim = { destination: to, destinationHash: foreign };
    const send = () => keyed().sendPin({ application: 'units', channel: 'SMS', to, claim });
    expect(await failureOf(run(send, inFlow))).toMatchObject({ type: FailureTypes.IDENTITY_MISMATCH });
    // The right hash under a derived ID of another key: refused too.
    const right = hashDestination(to, key);
    const derivedElsewhere = {
      workflowExecution: { workflowId: verificationId('units', foreign), runId: 'r' },
    };
    const lookupRight = () =>
      keyed().lookupNumber({ application: 'units', destination: to, destinationHash: right });
    expect(await failureOf(run(lookupRight, derivedElsewhere))).toMatchObject({
      type: FailureTypes.IDENTITY_MISMATCH,
    });
    expect(fx.emulator.stats.requests()).toEqual({});
  });

  it('lets a matching hash and ID through', async () => {
    const to = freshNumber();
    const hash = hashDestination(to, key);
    const derived = { workflowExecution: { workflowId: verificationId('units', hash), runId: 'r' } };
    const send = () =>
      keyed().sendPin({
        application: 'units',
        channel: 'SMS',
        to,
        claim: { destination: to, destinationHash: hash },
      });
    expect((await run(send, derived)).pinId).toBeTruthy();
  });
});

describe('lookupNumber', () => {
  const lookup = (destination: string) => run(() => acts.lookupNumber({ application: 'units', destination }));

  it.each([
    ['+41793020000', 'REACHABLE', 'DELIVERED_TO_HANDSET/NO_ERROR'],
    ['+41793020001', 'ABSENT', 'EC_ABSENT_SUBSCRIBER'],
    ['+41793020002', 'ABSENT', 'EC_ABSENT_SUBSCRIBER_SM'],
    ['+41793020003', 'INVALID', 'EC_UNKNOWN_SUBSCRIBER'],
    ['+41793020004', 'INVALID', 'REJECTED_PREFIX_MISSING'],
    ['+41793020005', 'INVALID', 'REJECTED_DESTINATION'],
    ['+41793020006', 'NO_SMS', 'EC_TELESERVICE_NOT_PROVISIONED'],
  ])('%s is %s', async (number, outcome, reason) => {
    const r = await lookup(number);
    expect(r.outcome).toBe(outcome);
    expect(r.reason).toContain(reason);
  });

  it('keeps network, country, ported and roaming', async () => {
    const r = await lookup('+41793020009');
    expect(r).toMatchObject({ outcome: 'REACHABLE', ported: true, roaming: true, country: 'Switzerland' });
    expect(r.network).toMatch(/\S/);
    expect(r.mccMnc).toMatch(/^\d{5,6}$/);
  });

  it('skips Infobip for e-mail and rejects garbage', async () => {
    fx.emulator.stats.reset();
    expect(await lookup('p@example.com')).toEqual({ outcome: 'REACHABLE', reason: 'EMAIL' });
    expect(fx.emulator.stats.requests()).toEqual({});
    expect(await failureOf(lookup('hello'))).toMatchObject({
      type: FailureTypes.INVALID_DESTINATION,
      nonRetryable: true,
    });
  });

  it('a lookup outage is retryable', async () => {
    fx.emulator.faults.add({ match: { path: '/number/1/query' }, times: 1, action: { status: 503 } });
    expect(await failureOf(lookup(freshNumber()))).toMatchObject({
      type: RetryableFailureTypes.SERVER_ERROR,
      nonRetryable: false,
    });
  });
});

describe('cancellation', () => {
  it('a cancelled activity stops its call and reports the cancellation', async () => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { latencyMs: 5000 } });
    const env = new MockActivityEnvironment({}, { logger: quiet });
    const started = Date.now();
    const p = env.run(sms());
    setTimeout(() => env.cancel(), 200);
    await expect(p).rejects.toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
