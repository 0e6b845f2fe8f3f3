/**
 * History size: events of one happy-path verification (and of the baseline), and of the
 * longest path — every resend, every wrong attempt but the last, every fallback step, the
 * right code on the last attempt, then the webhook.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { resendUpdate, verifyUpdate } from '../domain/messages';
import type { VerificationPolicy } from '../domain/types';
import { nextNumber, otpflowInput, runFlows, startVerification, type FlowTarget } from './driver';
import type { BenchStack } from './stack';

/** Events of one history, in total and by type. */
export interface HistoryCount {
  events: number;
  byType: Record<string, number>;
  status?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PIN_TIMEOUT_MS = 30_000;

async function countEvents(handle: WorkflowHandle): Promise<HistoryCount> {
  const json = JSON.parse(historyToJSON(await handle.fetchHistory())) as { events: { eventType: string }[] };
  const byType: Record<string, number> = {};
  for (const e of json.events) {
    const t = e.eventType.replace(/^EVENT_TYPE_/, '');
    byType[t] = (byType[t] ?? 0) + 1;
  }
  return { events: json.events.length, byType };
}

/** Runs one happy-path flow of `target` and counts its history. */
export async function happyPathHistory(stack: BenchStack, target: FlowTarget): Promise<HistoryCount> {
  let count: HistoryCount | undefined;
  const s = await runFlows(target, stack.inbox, 1, 1, async (handle) => {
    count = await countEvents(handle);
  });
  if (!count) throw new Error(`happy path of ${target.name} failed: ${s.failures[0] ?? 'no flow ran'}`);
  return count;
}

/** The policy of the longest path: 3 resends, 5 attempts, VOICE then EMAIL fallback, 1 s apart. */
export const LONGEST_PATH_POLICY: Partial<VerificationPolicy> = {
  ttlSeconds: 120,
  maxAttempts: 5,
  maxResends: 3,
  resendCooldownSeconds: 1,
  fallback: [
    { channel: 'VOICE', afterSeconds: 2 },
    { channel: 'EMAIL', afterSeconds: 2 },
  ],
};

/** Runs the longest path on otpflow's worker at `taskQueue` and counts its history. */
export async function longestPathHistory(stack: BenchStack, taskQueue: string): Promise<HistoryCount> {
  const hooks = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  try {
    const to = nextNumber();
    const email = `bench-${to.slice(1)}@example.com`;
    const port = (hooks.address() as AddressInfo).port;
    const input = {
      ...otpflowInput(stack, to, LONGEST_PATH_POLICY),
      email,
      webhook: { url: `http://127.0.0.1:${port}/hook` },
    };
    const handle = await startVerification(stack.env.client, taskQueue, input);
    await stack.inbox.next(to, PIN_TIMEOUT_MS);
    let resends = 0;
    for (let i = 0; resends < 3 && i < 200; i++) {
      const r = await handle.executeUpdate(resendUpdate).catch(() => undefined);
      if (r?.accepted) {
        resends++;
        await stack.inbox.next(to, PIN_TIMEOUT_MS);
      } else await sleep(r?.nextResendAt ? Math.max(10, Date.parse(r.nextResendAt) - Date.now()) : 50);
    }
    for (let i = 0; i < 4; i++) await handle.executeUpdate(verifyUpdate, { args: ['000000'] });
    await stack.inbox.next(to, PIN_TIMEOUT_MS); // the VOICE fallback
    const { pin } = await stack.inbox.next(email, PIN_TIMEOUT_MS); // then EMAIL
    const answer = await handle.executeUpdate(verifyUpdate, { args: [pin] });
    const result = await handle.result();
    return {
      ...(await countEvents(handle)),
      status: `${result.status}${answer.verified ? '' : ' (not verified)'} after ${resends} resends`,
    };
  } finally {
    await new Promise((r) => hooks.close(r));
  }
}
