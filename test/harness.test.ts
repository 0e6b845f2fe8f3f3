/**
 * Proves the harness: the shared dev server runs workflows from the prebuilt bundle, has the
 * project's search attributes registered, serves histories, and — with the flags every otpflow
 * dev server gets — starts activities eagerly.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OtpActivities } from '../activities/types';
import { SEARCH_ATTRIBUTES } from '../domain/constants';
import type { VerificationInput } from '../domain/types';
import { verificationWorkflow } from '../workflows';
import { connectTestEnv, startWorker } from './harness/temporal';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await connectTestEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const stubActivities: Pick<OtpActivities, 'sendPin'> = {
  async sendPin() {
    return { pinId: 'PIN-1', infobipStatus: 'MESSAGE_SENT', delivered: true };
  },
};

/** The dev server's `activity_eager_execution` count for `taskQueue` (0 when it has none). */
async function eagerActivities(taskQueue: string): Promise<number> {
  const text = await (await fetch(inject('temporalMetricsUrl'))).text();
  // The server's metrics reporter writes label values with "-" as "_".
  const label = `taskqueue="${taskQueue.replace(/[^A-Za-z0-9_]/g, '_')}"`;
  return text
    .split('\n')
    .filter((l) => l.startsWith('activity_eager_execution{') && l.includes(label))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const input: VerificationInput = {
  application: 'harness',
  destination: '+41793026727',
  channel: 'SMS',
  destinationMasked: '+41•••••6727',
  destinationHash: 'h',
  policy: {
    lookup: 'OFF',
    ttlSeconds: 1,
    maxAttempts: 3,
    resendCooldownSeconds: 0,
    maxResends: 0,
    fallback: [],
    allowedCountries: [],
    pin: { type: 'NUMERIC', length: 4 },
    voiceForLandlines: false,
  },
};

describe('test harness', () => {
  it('runs a workflow to completion on the dev server and fetches its history', async () => {
    const w = await startWorker(env, { activities: stubActivities });
    try {
      const handle = await env.client.workflow.start(verificationWorkflow, {
        taskQueue: w.taskQueue,
        workflowId: `harness-${randomUUID()}`,
        args: [input],
      });
      const result = await handle.result();
      expect(result.status).toBe('EXPIRED');
      const history = await handle.fetchHistory();
      const types = (history.events ?? []).map((e) => e.eventType);
      expect(types[0]).toBe(1); // WORKFLOW_EXECUTION_STARTED
      expect(types.at(-1)).toBe(2); // WORKFLOW_EXECUTION_COMPLETED
      // The send started on this worker straight from the workflow task that scheduled it.
      expect(await eagerActivities(w.taskQueue)).toBe(1);
    } finally {
      await w.shutdown();
    }
  });

  it('has the custom search attributes registered', async () => {
    const res = await env.connection.operatorService.listSearchAttributes({
      namespace: env.namespace ?? 'default',
    });
    const names = Object.keys(res.customAttributes ?? {});
    for (const key of SEARCH_ATTRIBUTES) expect(names).toContain(key.name);
  });
});
