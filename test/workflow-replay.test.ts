/**
 * Replays the recorded histories under test/histories/ against the current workflow code, so
 * a change that breaks determinism for flows already in flight fails here. Re-record with
 * `OTPFLOW_RECORD_HISTORIES=1 npx vitest run test/workflow-` after an intended change.
 *
 * `concurrent-checks`, `check-flood-locked` and `cancel-while-sending` do not come from the
 * suites: they were recorded from the workflow as of ee24efd with checks sent all at once (five
 * and twelve) and a cancel racing the send, and are kept as they are. They pin the order in
 * which concurrent checks queue on the lock and complete, which a leaner mutex once changed
 * without failing any other test. `expired-with-webhook` was recorded when a verification still
 * delivered its webhook itself (before `WEBHOOK_WORKFLOW_PATCH`): it keeps that path replaying,
 * and no suite records it any more; `expired-with-webhook-workflow` is the path since.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { HISTORIES_DIR } from './harness/flows';
import { installQuietRuntime, workflowBundlePath } from './harness/temporal';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));

describe('recorded histories', () => {
  it('covers every terminal path recorded by the workflow suites', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    installQuietRuntime();
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
    // The flow's own ID: the webhook workflow's ID is derived from it.
    const workflowId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId || file;
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath() } }, history, workflowId),
    ).resolves.toBeUndefined();
  });
});
