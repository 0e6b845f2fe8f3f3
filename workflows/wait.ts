/** Waiting helpers for workflow code. */
import { CancellationScope, condition, sleep } from '@temporalio/workflow';

/**
 * `condition(fn, ms)` with the same commands — a timer, cancelled when `fn` turns true first —
 * built on about ten promises instead of seventeen. The worker's workflow sandbox records a
 * stack trace for every promise a workflow creates (for the `__stack_trace` query); in the
 * bench that hook cost 3–5 ms of worker CPU per verification (BENCHMARKS.md), and every
 * verification waits like this at least once.
 *
 * The timer is started before `fn` is first evaluated, as `condition` does, so a history
 * recorded with `condition(fn, ms)` replays unchanged. Resolves true when `fn` turned true,
 * false when the timer fired first.
 */
export async function conditionWithin(fn: () => boolean, ms: number): Promise<boolean> {
  const scope = new CancellationScope();
  let fired = false;
  scope
    .run(() => sleep(ms))
    .then(
      () => {
        fired = true;
      },
      // Cancelled below, or with the workflow (then `condition` rejects too).
      () => undefined,
    );
  await condition(() => fired || fn());
  if (!fired) scope.cancel();
  return !fired;
}
