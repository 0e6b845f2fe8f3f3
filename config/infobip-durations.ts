/** Infobip's duration (`15m`) and rate (`3/1d`) grammar, for checking declarations. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of an Infobip duration such as `15m` or `d`; undefined when it does not parse or is zero. */
export function infobipDurationMs(text: string): number | undefined {
  const m = /^(\d+)?(ms|s|m|h|d)$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1] ?? '1') * (UNIT_MS[m[2] ?? ''] ?? 0);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/** An Infobip rate such as `3/1d`; undefined when it does not parse or a part is zero. */
export function infobipRate(text: string): { limit: number; windowMs: number } | undefined {
  const m = /^(\d+)\/(\d+)?(ms|s|m|h|d)$/.exec(text);
  if (!m) return undefined;
  const limit = Number(m[1]);
  const windowMs = infobipDurationMs(`${m[2] ?? ''}${m[3] ?? ''}`);
  if (windowMs === undefined || !(limit > 0) || !Number.isSafeInteger(limit)) return undefined;
  return { limit, windowMs };
}

export const ONE_DAY_MS = 86_400_000;
export const ONE_YEAR_MS = 365 * ONE_DAY_MS;
