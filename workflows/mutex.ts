/**
 * A deterministic mutex for workflow code: runs critical sections one at a time, in call order.
 * Its promise chain (`then`, then `catch` and `finally`) fixes the order in which queued
 * sections complete, which recorded histories pin (`concurrent-checks`, `check-flood-locked`):
 * a leaner chain saved three promises but broke their replay.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier section has settled; resolves or rejects with `fn`'s outcome. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    // The `finally` hop is part of the order in which queued sections start and complete,
    // which recorded histories pin (test/workflow-replay.test.ts): keep it.
    this.tail = result.catch(() => undefined).finally(() => undefined);
    return result;
  }
}
