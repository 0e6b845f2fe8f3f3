/** Small helpers around the running activity's context: cancellation and heartbeats. */
import { Context } from '@temporalio/activity';
import { toTemporalFailure, type TranslateOptions } from './failures';

/**
 * Heartbeats of one activity execution. A (non-local) activity learns that it was cancelled
 * only through a heartbeat's answer, so `during` keeps heartbeating while a call runs; the SDK
 * throttles what reaches the server. The last details are flushed when the attempt fails and
 * are what the next attempt reads in `info.heartbeatDetails`.
 */
export class Heartbeats<D> {
  private details: D | undefined;
  private readonly ctx: Context;

  /** `initial`: details to keep repeating until `record` replaces them (e.g. the last attempt's). */
  constructor(
    private readonly intervalMs = 1_000,
    initial?: D,
  ) {
    this.ctx = Context.current();
    this.details = initial;
  }

  /** Keeps `details` for the next periodic heartbeat of `during`, without sending them now. */
  hold(details: D): void {
    this.details = details;
  }

  /** Records `details` now (no-op for local activities, which cannot heartbeat). */
  record(details: D): void {
    this.details = details;
    if (!this.ctx.info.isLocal) this.ctx.heartbeat(details);
  }

  /** Runs `fn`, heartbeating the last details every interval so a cancellation gets through. */
  async during<T>(fn: () => Promise<T>): Promise<T> {
    if (this.ctx.info.isLocal) return fn();
    const timer = setInterval(() => this.ctx.heartbeat(this.details), this.intervalMs);
    timer.unref();
    try {
      return await fn();
    } finally {
      clearInterval(timer);
    }
  }
}

/** Runs `fn` with the activity's cancellation signal and translates what it throws for Temporal. */
export async function guarded<T>(
  opts: TranslateOptions,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { cancellationSignal } = Context.current();
  try {
    return await fn(cancellationSignal);
  } catch (err) {
    throw toTemporalFailure(err, opts);
  }
}
