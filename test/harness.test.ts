/**
 * Proves the harness: the shared dev server runs workflows from the prebuilt bundle, has the
 * project's search attributes registered, and serves histories.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtpActivities } from '../activities/types';
import { SEARCH_ATTRIBUTES, verificationWorkflow, type VerificationInput } from '../workflows';
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
