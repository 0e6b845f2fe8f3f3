/**
 * Where a check's round trip goes: for happy-path flows of otpflow and of the baseline, the
 * client's `executeUpdate` call is split by the timestamps of the flow's history events
 * (same machine, same clock): waiting for the send's completion, the workflow task that
 * accepts the Update (queue, worker), the verify activity (queue, run), the workflow task
 * that completes the Update, and the answer's way back to the client.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { runFlows, type FlowTarget } from './driver';
import type { InboxWatch } from './inbox-watch';
import { percentile } from './machine';

/** Milliseconds of each segment of one check, in order. */
export interface CheckSegments {
  /** Check call → the send activity's completion event (0 when the send had completed). */
  waitForSend: number;
  /** → the accepting workflow task is started by a worker. */
  acceptQueue: number;
  /** Worker time of the accepting workflow task. */
  acceptTask: number;
  /** Accepting task completed → verify activity started. */
  verifyQueue: number;
  /** Verify activity: started → completed (the HTTP call and the worker's activity code). */
  verifyRun: number;
  /** Verify completed → the completing workflow task started. */
  completeQueue: number;
  /** Worker time of the completing workflow task. */
  completeTask: number;
  /** Completing task completed → the client has the answer. */
  answer: number;
  /** The whole round trip as the client measured it. */
  total: number;
}

interface HistoryEvent {
  eventType: string;
  eventTime: string;
}

const ms = (e: HistoryEvent | undefined) => (e ? Date.parse(e.eventTime) : NaN);
const type = (e: HistoryEvent) => e.eventType.replace(/^EVENT_TYPE_/, '');

/** Splits one check whose client call ran from `t1` to `t2` by the flow's history. */
export async function segmentsOf(handle: WorkflowHandle, t1: number, t2: number): Promise<CheckSegments> {
  const { events } = JSON.parse(historyToJSON(await handle.fetchHistory())) as { events: HistoryEvent[] };
  const acts = events.filter((e) => type(e) === 'ACTIVITY_TASK_COMPLETED');
  const sendDone = ms(acts[0]);
  const verifyDone = ms(acts[1]);
  const acceptedAt = events.findIndex((e) => type(e) === 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
  const completedAt = events.findIndex((e) => type(e) === 'WORKFLOW_EXECUTION_UPDATE_COMPLETED');
  // The workflow task whose completion wrote the event: the last started/completed before it.
  const taskBefore = (i: number) => {
    const before = events.slice(0, i);
    const started = before.filter((e) => type(e) === 'WORKFLOW_TASK_STARTED').at(-1);
    const completed = before.filter((e) => type(e) === 'WORKFLOW_TASK_COMPLETED').at(-1);
    return { started: ms(started), completed: ms(completed) };
  };
  const accept = taskBefore(acceptedAt);
  const complete = taskBefore(completedAt);
  const verifyStarted = ms(events.filter((e) => type(e) === 'ACTIVITY_TASK_STARTED')[1]);
  const from = Math.max(t1, sendDone);
  return {
    waitForSend: Math.max(0, sendDone - t1),
    acceptQueue: accept.started - from,
    acceptTask: accept.completed - accept.started,
    verifyQueue: verifyStarted - accept.completed,
    verifyRun: verifyDone - verifyStarted,
    completeQueue: complete.started - verifyDone,
    completeTask: complete.completed - complete.started,
    answer: t2 - complete.completed,
    total: t2 - t1,
  };
}

/** Runs `flows` happy-path flows of `target` and splits each accepted check. */
export async function checkBreakdown(
  target: FlowTarget,
  inbox: InboxWatch,
  flows: number,
  concurrency: number,
): Promise<CheckSegments[]> {
  const out: CheckSegments[] = [];
  await runFlows(target, inbox, flows, concurrency, async (handle, check) => {
    out.push(await segmentsOf(handle, check.start, check.end));
  });
  return out;
}

/** Median of each segment. */
export function medianSegments(samples: CheckSegments[]): CheckSegments {
  const keys = Object.keys(samples[0] ?? {}) as (keyof CheckSegments)[];
  const median = (xs: number[]) => percentile(xs.filter(Number.isFinite), 50);
  return Object.fromEntries(
    keys.map((k) => [k, median(samples.map((s) => s[k]))]),
  ) as unknown as CheckSegments;
}
