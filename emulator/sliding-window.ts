/**
 * A sliding-window counter: remembers event times and counts those inside the window.
 * Cheap on the hot path (amortised O(1) pruning from the front).
 */
export class SlidingWindow {
  private times: number[];
  private start = 0;

  constructor(times: readonly number[] = []) {
    this.times = [...times];
  }

  /** Events in `(now - windowMs, now]`, after forgetting older ones. */
  count(now: number, windowMs: number): number {
    const cutoff = now - windowMs;
    while (this.start < this.times.length && (this.times[this.start] ?? 0) <= cutoff) this.start++;
    if (this.start > 1024 && this.start * 2 > this.times.length) {
      this.times = this.times.slice(this.start);
      this.start = 0;
    }
    return this.times.length - this.start;
  }

  /** Milliseconds until one more event would fit, given the limit; 0 if it fits now. */
  retryAfterMs(now: number, rateLimit: number, windowMs: number): number {
    const n = this.count(now, windowMs);
    if (n < rateLimit) return 0;
    const oldestBlocking = this.times[this.times.length - rateLimit] ?? now;
    return Math.max(1, oldestBlocking + windowMs - now);
  }

  record(now: number): void {
    this.times.push(now);
  }

  /** The remembered times, for persistence. */
  toJSON(): number[] {
    return this.times.slice(this.start);
  }
}
