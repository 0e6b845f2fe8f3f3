/**
 * The HTTP API's per-key rate limit: a token bucket per API key in each API instance (so N
 * instances behind a load balancer let a key make up to N × the rate). In memory on purpose:
 * it protects an instance from one runaway or leaked key at no cost per request; the limits
 * that must hold across instances — lockouts, velocity limits, the breaker — live in Temporal.
 */

/** Options of `createRateLimiter`. */
export interface RateLimitOptions {
  /** Tokens added per second; 0 turns the limit off. */
  perSecond: number;
  /** Bucket size: requests a key may make at once. */
  burst: number;
  /** The clock (ms), for tests. @default Date.now */
  now?: () => number;
}

/** Takes a token for `key`: 0 when the request may go on, else the seconds to wait (≥ 1). */
export type RateLimiter = (key: string) => number;

const MAX_KEYS = 10_000;

/** A token bucket per key (see the module comment). */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  if (options.perSecond <= 0) return () => 0;
  return (key) => {
    const t = now();
    let bucket = buckets.get(key);
    if (!bucket) {
      // Keys are the configured ones, but never let the map grow without bound.
      if (buckets.size >= MAX_KEYS) buckets.clear();
      bucket = { tokens: options.burst, at: t };
      buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(options.burst, bucket.tokens + ((t - bucket.at) / 1000) * options.perSecond);
    bucket.at = t;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond));
  };
}
