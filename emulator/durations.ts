/** Infobip's duration (`15m`) and rate (`3/1d`) grammar, in milliseconds. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+)?(ms|s|m|h|d)$/;
const RATE = /^(\d+)\/(\d+)?(ms|s|m|h|d)$/;

/** One day and one year, the upper bounds Infobip documents for windows and TTLs. */
export const ONE_DAY_MS = 86_400_000;
export const ONE_YEAR_MS = 365 * ONE_DAY_MS;

/** A send or verify limit: at most `limit` events per sliding `windowMs`. */
export interface Rate {
  limit: number;
  windowMs: number;
}

/** Milliseconds of a duration such as `15m` or `d`; undefined when it does not parse or is zero. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1] ?? '1') * (UNIT_MS[m[2] ?? ''] ?? 0);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

const rates = new Map<string, Rate | undefined>();

/** A rate such as `3/1d` or `1/3s`; undefined when it does not parse or its window is zero. */
export function parseRate(text: string): Rate | undefined {
  // Limits are read on every send and verify: remember parsed forms (configurations repeat).
  if (rates.has(text)) return rates.get(text);
  const rate = parseRateUncached(text);
  if (rates.size < 10_000) rates.set(text, rate);
  return rate;
}

function parseRateUncached(text: string): Rate | undefined {
  const m = RATE.exec(text);
  if (!m) return undefined;
  const windowMs = Number(m[2] ?? '1') * (UNIT_MS[m[3] ?? ''] ?? 0);
  const limit = Number(m[1]);
  if (!(windowMs > 0) || !Number.isSafeInteger(windowMs) || !Number.isSafeInteger(limit)) return undefined;
  return { limit, windowMs };
}
