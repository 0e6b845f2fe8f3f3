/**
 * Infobip outages scripted with the emulator's faults: 5xx bursts, timeouts, 429 with and
 * without Retry-After, connection resets and answers dropped after processing. Every flow
 * ends in a clear state, sends stay within the documented minimum, the timeline says what
 * happened.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRuleInput } from '../../emulator';
import { cancelSignal, statusQuery, verifyUpdate } from '../../domain/messages';
import type { VerificationInput, VerificationState } from '../../domain/types';
import { testNumber } from '../harness/stack';
import { connectTestEnv } from '../harness/temporal';
import {
  chaosApplication,
  flowInput,
  messagesAccountedFor,
  OP,
  reportFigures,
  resultOf,
  startChaosStack,
  waitFor,
  type ChaosStack,
  type Handle,
} from './support';

let env: TestWorkflowEnvironment;
let stack: ChaosStack;
const app = chaosApplication({ lookup: 'ADVISORY', maxAttempts: 3, ttlSeconds: 60 });
const flows: Handle[] = [];
let faultsInjected = 0;

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startChaosStack(env, { applications: [app] });
});
afterAll(async () => {
  // Every flow this file started must have ended in a terminal state with a reason.
  let checked = 0;
  for (const h of flows) {
    const d = await h.describe();
    if (d.status.name === 'RUNNING') await h.signal(cancelSignal, 'test over');
    const r = await resultOf(h);
    expect(r.status).not.toMatch(/LOOKUP|SENDING|PENDING/);
    if (r.status !== 'VERIFIED') expect(r.reason).toBeTruthy();
    checked++;
  }
  reportFigures('infobip-outages', { flowsChecked: checked, faultsInjected });
  await stack?.close();
  await env?.teardown();
});

/** Runs `body` with fault rules active, then removes them and counts how often they fired. */
async function withFaults<T>(rules: FaultRuleInput[], body: () => Promise<T>): Promise<T> {
  const added = rules.map((r) => stack.emulator.faults.add(r));
  try {
    return await body();
  } finally {
    const fired = new Map(stack.emulator.faults.list().map((r) => [r.id, r.fired]));
    // A rule with `times` is removed once spent: it fired `times` times.
    for (const r of added) faultsInjected += fired.get(r.id) ?? r.times ?? 0;
    for (const r of added) stack.emulator.faults.remove(r.id);
  }
}

async function start(input: VerificationInput): Promise<Handle> {
  const h = await stack.start(input);
  flows.push(h);
  return h;
}

async function settled(h: Handle, timeoutMs = 30_000): Promise<VerificationState> {
  return waitFor(
    async () => {
      const s = (await h.query(statusQuery)) as VerificationState;
      return s.status === 'LOOKUP' || s.status === 'SENDING' ? undefined : s;
    },
    `${h.workflowId} to settle`,
    timeoutMs,
  );
}

/** Starts a flow for `to` while `rules` are active and waits until its send is settled. */
async function startSettledUnder(
  rules: FaultRuleInput[],
  to: string,
): Promise<{ h: Handle; state: VerificationState }> {
  return withFaults(rules, async () => {
    const h = await start(flowInput(app, to));
    return { h, state: await settled(h) };
  });
}

/** Checks the newest PIN and expects VERIFIED; the inbox must match the timeline exactly. */
async function verifyNewest(h: Handle, to: string): Promise<void> {
  const newest = stack.inbox(to)[0];
  expect(newest).toBeDefined();
  const res = await h.executeUpdate(verifyUpdate, { args: [newest!.pin] });
  expect(res).toMatchObject({ status: 'VERIFIED', verified: true });
  const result = await resultOf(h);
  const distinctPins = new Set(stack.inbox(to).map((m) => m.pin)).size;
  const { min, max } = messagesAccountedFor(result.timeline);
  expect(distinctPins).toBeGreaterThanOrEqual(min);
  expect(distinctPins).toBeLessThanOrEqual(max);
}

const onSend = (action: FaultRuleInput['action'], times?: number): FaultRuleInput => ({
  match: { method: 'POST', path: '/2fa/2/pin' },
  action,
  ...(times ? { times } : {}),
});

describe('Infobip outages', () => {
  it('rides out a burst of 500 and 503 on the send: one PIN, and the timeline notes the recovery', async () => {
    const to = testNumber();
    const { h, state } = await startSettledUnder(
      [onSend({ status: 500 }, 1), onSend({ status: 503 }, 1)],
      to,
    );
    expect(state.status).toBe('PENDING');
    expect(stack.inbox(to)).toHaveLength(1);
    const { timeline } = (await h.query(statusQuery)) as VerificationState;
    expect(timeline.find((e) => e.kind === 'SEND')).toMatchObject({
      recovered: 'NOT_SENT_BEFORE',
      pinIdKnown: true,
    });
    await verifyNewest(h, to);
  });

  it('rides out a send that times out on the client (latency beyond the timeout): at most 2 PINs, newest verifies', async () => {
    const to = testNumber();
    const { h, state } = await startSettledUnder([onSend({ latencyMs: 3_000 }, 1)], to);
    expect(state.status).toBe('PENDING');
    // Let a late-processed first request land before counting.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(stack.inbox(to).length).toBeLessThanOrEqual(2);
    await verifyNewest(h, to);
  });

  it('honours Retry-After on a 429 before sending again', async () => {
    const to = testNumber();
    const { h } = await startSettledUnder([onSend({ status: 429, retryAfter: 2 }, 1)], to);
    const d = await h.describe();
    const send = ((await h.query(statusQuery)) as VerificationState).timeline.find((e) => e.kind === 'SEND');
    expect(Date.parse(send!.at) - d.startTime.getTime()).toBeGreaterThanOrEqual(2_000);
    expect(stack.inbox(to)).toHaveLength(1);
    await verifyNewest(h, to);
  });

  it('backs off on a 429 without Retry-After and sends once', async () => {
    const to = testNumber();
    const { h } = await startSettledUnder([onSend({ status: 429 }, 2)], to);
    expect(stack.inbox(to)).toHaveLength(1);
    await verifyNewest(h, to);
  });

  it('ends RATE_LIMITED at once when a 429 asks to wait longer than a verification can', async () => {
    const to = testNumber();
    const result = await withFaults([onSend({ status: 429, retryAfter: 3_600 })], async () =>
      resultOf(await start(flowInput(app, to))),
    );
    expect(result.status).toBe('RATE_LIMITED');
    expect(stack.inbox(to)).toHaveLength(0);
  });

  it('resends nothing extra after connection resets before processing: exactly one PIN', async () => {
    const to = testNumber();
    const { h } = await startSettledUnder([onSend({ reset: true }, 2)], to);
    expect(stack.inbox(to)).toHaveLength(1);
    await verifyNewest(h, to);
  });

  it('after a send answer dropped post-processing: two PINs at most, the older fails, the newest verifies', async () => {
    const to = testNumber();
    const { h } = await startSettledUnder([onSend({ dropResponse: true }, 1)], to);
    const inbox = stack.inbox(to);
    expect(inbox).toHaveLength(2);
    const { timeline } = (await h.query(statusQuery)) as VerificationState;
    expect(timeline.find((e) => e.kind === 'SEND')).toMatchObject({ recovered: 'SENT_BEFORE_PIN_UNKNOWN' });
    const older = await h.executeUpdate(verifyUpdate, { args: [inbox[1]!.pin] });
    expect(older).toMatchObject({ status: 'PENDING', verified: false, attemptsRemaining: 2 });
    await verifyNewest(h, to);
  });

  it('after the recovery send is lost as well: one message per lost answer, the newest verifies', async () => {
    const to = testNumber();
    const { h } = await startSettledUnder([onSend({ dropResponse: true }, 2)], to);
    expect(stack.inbox(to)).toHaveLength(3);
    const { timeline } = (await h.query(statusQuery)) as VerificationState;
    expect(timeline.find((e) => e.kind === 'SEND')).toMatchObject({
      recovered: 'SENT_BEFORE_PIN_UNKNOWN',
      lostMessages: 2,
      pinIdKnown: true,
    });
    expect(messagesAccountedFor(timeline).max).toBe(3);
    await verifyNewest(h, to);
  });

  it('gives up FAILED after three lost send answers instead of texting a fourth PIN', async () => {
    const to = testNumber();
    const result = await withFaults([onSend({ dropResponse: true }, 3)], async () =>
      resultOf(await start(flowInput(app, to))),
    );
    expect(result.status).toBe('FAILED');
    expect(result.reasonCode).toBe('SEND_ANSWERS_LOST');
    expect(stack.inbox(to)).toHaveLength(3);
    expect(result.timeline.find((e) => e.kind === 'SEND')).toMatchObject({
      infobipStatus: 'ANSWERS_LOST',
      lostMessages: 3,
    });
    expect(messagesAccountedFor(result.timeline).max).toBe(3);
  });

  it('ends FAILED with a reason, sending nothing, when the send outage outlasts the retry budget', async () => {
    const to = testNumber();
    const result = await withFaults([onSend({ status: 503 })], async () =>
      resultOf(await start(flowInput(app, to, { policy: { retryBudgetSeconds: 4 } }))),
    );
    expect(result.status).toBe('FAILED');
    expect(result.reasonCode).toBe('INFOBIP_UNAVAILABLE');
    expect(result.reason).not.toMatch(/answered|\/2fa\//);
    expect(stack.inbox(to)).toHaveLength(0);
  });

  it('goes on without lookup when an advisory lookup is down, and fails a required one', async () => {
    const lookupDown: FaultRuleInput = { match: { path: '/number/1/query' }, action: { status: 500 } };
    const advisory = testNumber();
    const required = testNumber();
    const [a, r] = await withFaults([lookupDown], async () => {
      const a = await start(
        flowInput(app, advisory, { policy: { lookup: 'ADVISORY', retryBudgetSeconds: 3 } }),
      );
      const r = await start(
        flowInput(app, required, { policy: { lookup: 'REQUIRED', retryBudgetSeconds: 3 } }),
      );
      return [a, await resultOf(r)] as const;
    });
    expect(r.status).toBe('FAILED');
    expect(r.reasonCode).toBe('LOOKUP_UNAVAILABLE');
    expect(r.timeline[0]).toMatchObject({ kind: 'LOOKUP', outcome: 'ERROR' });
    expect(stack.inbox(required)).toHaveLength(0);
    expect((await settled(a)).timeline[0]).toMatchObject({ kind: 'LOOKUP', outcome: 'ERROR' });
    await verifyNewest(a, advisory);
  });

  it('checks a code through 5xx and reset faults on verify without costing an attempt', async () => {
    const to = testNumber();
    const h = await start(flowInput(app, to));
    await settled(h);
    const verifies = stack.requests(OP.verify);
    await withFaults(
      [
        { match: { path: '/2fa/2/pin/{pinId}/verify' }, times: 1, action: { status: 503 } },
        { match: { path: '/2fa/2/pin/{pinId}/verify' }, times: 1, action: { reset: true } },
      ],
      () => verifyNewest(h, to),
    );
    expect(stack.requests(OP.verify) - verifies).toBe(3);
    const result = await resultOf(h);
    expect(result.timeline.filter((e) => e.kind === 'CHECK')).toHaveLength(1);
  });
});

describe('Infobip outages: lost verify answers', () => {
  it('ends VERIFIED when the answer to a correct code is dropped after Infobip accepted it', async () => {
    const to = testNumber();
    const h = await start(flowInput(app, to));
    await settled(h);
    await withFaults(
      [{ match: { path: '/2fa/2/pin/{pinId}/verify' }, times: 1, action: { dropResponse: true } }],
      async () => {
        const res = await h.executeUpdate(verifyUpdate, { args: [stack.inbox(to)[0]!.pin] });
        expect(res).toMatchObject({ status: 'VERIFIED', verified: true });
      },
    );
  });
});
