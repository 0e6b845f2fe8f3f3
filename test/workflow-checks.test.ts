/** The verification workflow's code checks, on the dev server with the emulator and real activities. */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusQuery, submitCodeSignal, verifyUpdate } from '../domain/messages';
import { eventually, historyEventTypes, recordHistory, startFlow, waitSettled } from './harness/flows';
import { startStack, testNumber, type Stack } from './harness/stack';
import { connectTestEnv } from './harness/temporal';

const VERIFY = 'POST /2fa/2/pin/{pinId}/verify';
let env: TestWorkflowEnvironment;
let stack: Stack;

beforeAll(async () => {
  env = await connectTestEnv();
  stack = await startStack(env);
});
afterAll(async () => {
  await stack?.close();
  await env?.teardown();
});

/** A code of the right shape that is not `pin`. */
function wrongCode(pin: string): string {
  return pin === '000000' ? '111111' : '000000';
}

describe('verification workflow: checks', () => {
  it('verifies the first correct code', async () => {
    const to = testNumber();
    const handle = await startFlow(stack, stack.input(to));
    const state = await waitSettled(handle);
    expect(state.status).toBe('PENDING');
    expect(state.expiresAt).toBeDefined();
    const [sms] = stack.inbox(to);
    expect(sms?.channel).toBe('SMS');

    const answer = await handle.executeUpdate(verifyUpdate, { args: [sms!.pin] });
    expect(answer).toEqual({ status: 'VERIFIED', verified: true, attemptsRemaining: 3 });
    const result = await handle.result();
    expect(result.status).toBe('VERIFIED');
    expect(result.timeline.map((e) => e.kind)).toEqual(['LOOKUP', 'SEND', 'CHECK', 'STATUS']);
    expect(JSON.stringify(result)).not.toContain(sms!.pin);
    expect(stack.inbox(to)).toHaveLength(1);
    await recordHistory(handle, 'verified-first-try');
  });

  it('answers a wrong code, then accepts the right one', async () => {
    const to = testNumber();
    const handle = await startFlow(stack, stack.input(to));
    await waitSettled(handle);
    const pin = stack.inbox(to)[0]!.pin;
    expect(await handle.executeUpdate(verifyUpdate, { args: [wrongCode(pin)] })).toEqual({
      status: 'PENDING',
      verified: false,
      attemptsRemaining: 2,
    });
    expect(await handle.executeUpdate(verifyUpdate, { args: [pin] })).toEqual({
      status: 'VERIFIED',
      verified: true,
      attemptsRemaining: 2,
    });
    const result = await handle.result();
    expect(
      result.timeline.filter((e) => e.kind === 'CHECK').map((e) => e.kind === 'CHECK' && e.outcome),
    ).toEqual(['WRONG_CODE', 'VERIFIED']);
    await recordHistory(handle, 'wrong-then-right');
  });

  it('locks after the last attempt and refuses further checks before they reach Infobip', async () => {
    const to = testNumber();
    const handle = await startFlow(stack, stack.input(to));
    await waitSettled(handle);
    const wrong = wrongCode(stack.inbox(to)[0]!.pin);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await handle.executeUpdate(verifyUpdate, { args: [wrong] }));
    expect(answers.map((a) => [a.status, a.attemptsRemaining])).toEqual([
      ['PENDING', 2],
      ['PENDING', 1],
      ['LOCKED', 0],
    ]);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'LOCKED', verified: false });
    await recordHistory(handle, 'locked');
  });

  it('answers concurrent checks one at a time', async () => {
    const to = testNumber();
    const handle = await startFlow(stack, stack.input(to, { policy: { maxAttempts: 5 } }));
    await waitSettled(handle);
    const wrong = wrongCode(stack.inbox(to)[0]!.pin);
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => handle.executeUpdate(verifyUpdate, { args: [wrong] })),
    );
    // Serialised checks each see the previous one's count: 4, 3, 2, 1 in some order.
    expect(answers.map((a) => a.attemptsRemaining).sort()).toEqual([1, 2, 3, 4]);
    expect((await handle.query(statusQuery)).attemptsRemaining).toBe(1);
    await handle.executeUpdate(verifyUpdate, { args: [stack.inbox(to)[0]!.pin] });
    expect((await handle.result()).status).toBe('VERIFIED');
  });

  it('holds a code that arrives while the PIN is still being sent, and answers it after the send', async () => {
    const to = testNumber();
    stack.emulator.faults.add({
      match: { method: 'POST', path: '/2fa/2/pin' },
      times: 1,
      action: { latencyMs: 1500 },
    });
    const handle = await startFlow(stack, stack.input(to));
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.status === 'SENDING',
    );
    const answer = await handle.executeUpdate(verifyUpdate, { args: ['000000'] });
    const pin = stack.inbox(to)[0]!.pin;
    if (pin === '000000') expect(answer).toMatchObject({ status: 'VERIFIED' });
    else expect(answer).toEqual({ status: 'PENDING', verified: false, attemptsRemaining: 2 });
    await handle.signal(submitCodeSignal, pin);
    expect((await handle.result()).status).toBe('VERIFIED');
  });

  it('rejects malformed codes in the validator: no history event, no attempt, no Infobip call', async () => {
    const to = testNumber();
    const handle = await startFlow(stack, stack.input(to));
    await waitSettled(handle);
    const eventsBefore = await historyEventTypes(handle);
    const verifiesBefore = stack.requests(VERIFY);
    for (const bad of ['12345', '1234567', 'abcdef', '12 34 5x', '١٢٣٤٥٦', '１２３４５６', '']) {
      const err = await handle.executeUpdate(verifyUpdate, { args: [bad] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'InvalidInput' });
    }
    expect(await historyEventTypes(handle)).toEqual(eventsBefore);
    expect(stack.requests(VERIFY)).toBe(verifiesBefore);
    expect((await handle.query(statusQuery)).attemptsRemaining).toBe(3);
    await handle.executeUpdate(verifyUpdate, { args: [stack.inbox(to)[0]!.pin] });
  });

  it('accepts a code by signal and reports the outcome through the status query', async () => {
    const to = testNumber();
    const handle = await startFlow(stack, stack.input(to));
    await waitSettled(handle);
    const pin = stack.inbox(to)[0]!.pin;
    await handle.signal(submitCodeSignal, wrongCode(pin));
    const afterWrong = await eventually(
      () => handle.query(statusQuery),
      (s) => s.lastCheck !== undefined,
    );
    expect(afterWrong.lastCheck).toEqual({ status: 'PENDING', verified: false, attemptsRemaining: 2 });
    await handle.signal(submitCodeSignal, 'not-a-code');
    await handle.signal(submitCodeSignal, pin);
    const result = await handle.result();
    expect(result.status).toBe('VERIFIED');
    await recordHistory(handle, 'submit-code-signal');
  });
});
