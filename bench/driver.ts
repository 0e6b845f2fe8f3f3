/**
 * Drives complete happy-path flows the way a login page does: start, wait for the PIN in the
 * emulator's inbox, check it with an Update, wait for the workflow's result.
 */
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { maskDestination } from '../domain/destination';
import { NOT_PENDING } from '../domain/failures';
import { verifyUpdate } from '../domain/messages';
import type { VerificationInput, VerificationPolicy } from '../domain/types';
import { verificationWorkflow } from '../workflows';
import { admitStart, GuardWatcher } from '../client/guard';
import { workflowStartOptions } from '../client/start-input';
import { hashDestination, verificationId } from '../client/identity';
import {
  baselineCheckUpdate,
  baselineWorkflow,
  type BaselineInput,
  NOT_READY,
  type OperatorState,
} from './baseline-workflow';
import type { InboxWatch } from './inbox-watch';
import { BENCH_HASH_KEY, type BenchStack } from './stack';

let numbers = 0;

/**
 * A destination no earlier flow of this process used: a Swiss mobile number whose last four
 * digits never fall on the emulator's special lookup suffixes (0001–0009).
 */
export function nextNumber(): string {
  const i = numbers++;
  return `+4179${String(100 + Math.floor(i / 9000)).padStart(3, '0')}${1000 + (i % 9000)}`;
}

/** The input a client would start a verification of `to` with, policy overrides applied. */
export function otpflowInput(
  stack: BenchStack,
  to: string,
  policy: Partial<VerificationPolicy> = {},
): VerificationInput {
  const { app } = stack;
  return {
    application: app.name,
    destination: to,
    channel: to.includes('@') ? 'EMAIL' : 'SMS',
    destinationMasked: maskDestination(to),
    destinationHash: hashDestination(to, BENCH_HASH_KEY),
    policy: { ...app.policy, pin: app.pin, ...policy },
  };
}

/**
 * Starts a verification with the ID and options `OtpClient.start` uses (the derived ID the
 * delivery-report ingress finds it by, search attributes, summary).
 */
export function startVerification(client: Client, taskQueue: string, input: VerificationInput) {
  return client.workflow.start(
    verificationWorkflow,
    workflowStartOptions(verificationId(input.application, input.destinationHash), taskQueue, input),
  );
}

/** One kind of flow the driver can run. */
export interface FlowTarget {
  name: string;
  start(to: string): Promise<WorkflowHandle>;
  /** Checks the code; resolves true when verified. */
  check(handle: WorkflowHandle, code: string): Promise<boolean>;
  /** Whether `check` failed only because the flow had not yet seen its send complete. */
  notReady(err: unknown): boolean;
  /** The workflow's result, as verified or not. */
  result(handle: WorkflowHandle): Promise<boolean>;
}

const rejectedWith = (err: unknown, type: string) =>
  err instanceof WorkflowUpdateFailedError &&
  err.cause instanceof ApplicationFailure &&
  err.cause.type === type;

/**
 * otpflow's verification workflow (with policy overrides), checked through its `verify` Update.
 * Each start first passes the abuse guard's checks as `OtpClient.start` does (`admitStart`, with
 * the guard's view kept fresh in the background as an API instance keeps it).
 */
export function otpflowTarget(
  stack: BenchStack,
  taskQueue: string,
  policy: Partial<VerificationPolicy> = {},
): FlowTarget {
  const client = stack.env.client;
  const guard = new GuardWatcher(client);
  guard.watch([stack.app.name]);
  return {
    name: 'otpflow',
    start: async (to) => {
      const input = otpflowInput(stack, to, policy);
      await admitStart(client, guard, {
        app: stack.app,
        destination: to,
        destinationHash: input.destinationHash,
        callerId: false,
        contexts: {},
      });
      return startVerification(client, taskQueue, input);
    },
    check: async (h, code) => (await h.executeUpdate(verifyUpdate, { args: [code] })).verified,
    // The PIN reaches the inbox while sendPin's completion is still on its way to the workflow.
    notReady: (err) =>
      rejectedWith(err, NOT_PENDING) &&
      ['LOOKUP', 'SENDING'].includes(String((err as { cause: ApplicationFailure }).cause.details?.[0])),
    result: async (h) => ((await h.result()) as { verified: boolean }).verified,
  };
}

/** The baseline's input for a flow to `to`; with `operatorState`, the ceiling's (see `BaselineInput`). */
function baselineInput(
  stack: BenchStack,
  to: string,
  kinds: BaselineInput['kinds'],
  operatorState?: OperatorState,
): BaselineInput {
  return {
    to,
    applicationId: stack.applicationId,
    messageId: stack.smsMessageId,
    kinds,
    ...(operatorState ? { operatorState } : {}),
  };
}

/** The baseline workflow with activity kinds `kinds` (e.g. `LRL`). */
export function baselineTarget(
  stack: BenchStack,
  taskQueue: string,
  kinds: BaselineInput['kinds'],
): FlowTarget {
  const client = stack.env.client;
  return {
    name: `baseline ${kinds}`,
    start: (to) =>
      client.workflow.start(baselineWorkflow, {
        taskQueue,
        workflowId: `bench-base-${to.slice(1)}`,
        args: [baselineInput(stack, to, kinds)],
      }),
    check: (h, code) => h.executeUpdate(baselineCheckUpdate, { args: [code] }),
    notReady: (err) => rejectedWith(err, NOT_READY),
    result: async (h) => (await h.result()) === true,
  };
}

/** Which parts of the state otpflow keeps for operators a ceiling target keeps. */
export interface CeilingParts {
  /** Start with the search attributes, memo, summary and details `OtpClient` sends. */
  startMetadata: boolean;
  state: OperatorState;
}

/** Every part: the ceiling itself. */
export function allCeilingParts(stack: BenchStack): CeilingParts {
  return {
    startMetadata: true,
    state: {
      pendingUpsert: true,
      terminalUpsert: true,
      ttlSeconds: stack.app.policy.ttlSeconds,
      deliverySignal: true,
    },
  };
}

/**
 * The ceiling: the baseline plus all the state otpflow keeps for operators and nothing else —
 * started with otpflow's derived ID and the search attributes, memo, summary and details
 * exactly as `OtpClient` sends them, then the `OtpStatus` upserts, the expiry timer and the
 * delivery-report signal (`BaselineInput.operatorState`).
 * With fewer `parts` (`--pieces`), what dropping one of them would save.
 */
export function ceilingTarget(
  stack: BenchStack,
  taskQueue: string,
  kinds: BaselineInput['kinds'],
  parts: CeilingParts = allCeilingParts(stack),
): FlowTarget {
  return {
    ...baselineTarget(stack, taskQueue, kinds),
    name: `ceiling ${kinds}`,
    start: (to) => {
      // otpflow's derived ID, so the ingress signals the ceiling's reports as it does otpflow's.
      const workflowId = verificationId(stack.app.name, hashDestination(to, BENCH_HASH_KEY));
      const args: [BaselineInput] = [baselineInput(stack, to, kinds, parts.state)];
      if (!parts.startMetadata)
        return stack.env.client.workflow.start(baselineWorkflow, { taskQueue, workflowId, args });
      const { args: _otpflowArgs, ...metadata } = workflowStartOptions(
        workflowId,
        taskQueue,
        otpflowInput(stack, to),
      );
      return stack.env.client.workflow.start(baselineWorkflow, { ...metadata, args });
    },
  };
}

/** Raw timings of one batch. */
export interface FlowSamples {
  target: string;
  flows: number;
  concurrency: number;
  wallMs: number;
  /** Start call → PIN delivered by the emulator, ms. */
  startToPin: number[];
  /** The accepted check Update's round trip, ms. */
  check: number[];
  /** Start → result, ms. */
  total: number[];
  /** Checks retried because the flow had not yet seen its send complete. */
  notReadyRetries: number;
  failures: string[];
  /** CPU time of the target's worker process during the batch (all its threads), ms. */
  workerCpuMs?: number;
  /** CPU time of the dev server process during the batch, ms. */
  serverCpuMs?: number;
  /** CPU time of the bench process (client, emulator, inbox follower) during the batch, ms. */
  clientCpuMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_NOT_READY_RETRIES = 400;
const PIN_TIMEOUT_MS = 60_000;

/** Called after each successful flow with its handle and when its accepted check ran (ms). */
export type AfterFlow = (handle: WorkflowHandle, check: { start: number; end: number }) => Promise<void>;

/** Runs `flows` flows with at most `concurrency` in flight. */
export async function runFlows(
  target: FlowTarget,
  inbox: InboxWatch,
  flows: number,
  concurrency: number,
  afterFlow?: AfterFlow,
): Promise<FlowSamples> {
  const s: FlowSamples = {
    target: target.name,
    flows,
    concurrency,
    wallMs: 0,
    startToPin: [],
    check: [],
    total: [],
    notReadyRetries: 0,
    failures: [],
  };
  let next = 0;
  const one = async () => {
    const to = nextNumber();
    const t0 = Date.now();
    const handle = await target.start(to);
    const delivery = await inbox.next(to, PIN_TIMEOUT_MS);
    s.startToPin.push(delivery.deliveredAt - t0);
    let check = { start: 0, end: 0 };
    for (let attempt = 0; ; attempt++) {
      const t1 = Date.now();
      try {
        if (!(await target.check(handle, delivery.pin))) throw new Error('the right code was not accepted');
        check = { start: t1, end: Date.now() };
        s.check.push(check.end - t1);
        break;
      } catch (err) {
        if (!target.notReady(err) || attempt >= MAX_NOT_READY_RETRIES) throw err;
        s.notReadyRetries++;
        await sleep(5);
      }
    }
    if (!(await target.result(handle))) throw new Error('the flow did not end verified');
    s.total.push(Date.now() - t0);
    await afterFlow?.(handle, check);
  };
  const lane = async () => {
    while (next < flows) {
      next++;
      try {
        await one();
      } catch (err) {
        s.failures.push(String((err as Error)?.message ?? err));
      }
    }
  };
  const t = Date.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, flows) }, lane));
  s.wallMs = Date.now() - t;
  return s;
}
