/**
 * A deterministic mutex for workflow code: runs critical sections one at a time, in call order.
 * Its promise chain (`then`, then `catch` and `finally`) fixes the order in which queued
 * sections complete, which recorded histories pin (`concurrent-checks`, `check-flood-locked`):
 * a leaner chain saved three promises but broke their replay.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  private held = 0;

  /** True while a section runs or waits. */
  get busy(): boolean {
    return this.held > 0;
  }

  /** Runs `fn` after every earlier section has settled; resolves or rejects with `fn`'s outcome. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.held += 1;
    const result = this.tail.then(fn);
    this.tail = result
      .catch(() => undefined)
      .finally(() => {
        this.held -= 1;
      });
    return result;
  }
}
