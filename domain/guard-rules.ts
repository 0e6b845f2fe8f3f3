/**
 * The pumping breaker's book: per-prefix sliding-window counts of sends and successful
 * verifications, each prefix's send-rate baseline, the blocks and why they were made. Pure and
 * deterministic — time is always passed in — so the guard workflow keeps it in its state and
 * replays it exactly, and the unit tests drive it with any clock.
 *
 * Rules, for a prefix that is neither allow-listed nor already blocked:
 * - **CONVERSION**: over the last `windowSeconds`, sends older than `verifyGraceSeconds` (a
 *   person may still be typing the code of a younger one) are judged; with at least
 *   `minVolume` judged, verified ÷ judged under `minConversion` blocks it.
 * - **SPIKE**: sends of the last `spikeWindowSeconds` at least `minSpikeVolume` and at least
 *   `spikeFactor` × what its baseline expects there block it. The baseline is an exponentially
 *   weighted average of its sends per bucket (half-life `baselineHalfLifeSeconds`), fed only by
 *   buckets that have left the spike window, so a spike is judged against the time before it;
 *   a prefix without baseline may send `minSpikeVolume` − 1 per spike window.
 * A block lasts `coolOffSeconds`; the prefix's counts start afresh when it is blocked, so a
 * lifted block is judged on new traffic only.
 */
import { normalisePrefix, underPrefix } from './guard-prefix';
import type {
  GuardCarry,
  GuardSettings,
  GuardView,
  PrefixBlock,
  PrefixCounts,
  PrefixFigures,
  PrefixLimit,
} from './guard-types';

/** Most prefixes the book tracks; the least recently active without a block go first. */
export const MAX_TRACKED_PREFIXES = 10_000;
const KEPT_LIFTED = 20;
const SHOWN_PREFIXES = 20;

interface Stats {
  /** Sends per bucket the prefix usually makes. */
  baseline: number;
  /** The last bucket folded into the baseline. */
  through: number;
  /** bucket → [sends, verified] */
  buckets: Map<number, [number, number]>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** One application's breaker state. See the module comment for the rules. */
export class GuardBook {
  private settings: GuardSettings;
  private readonly stats = new Map<string, Stats>();
  private readonly blocks = new Map<string, PrefixBlock>();
  private lifted: GuardView['lifted'] = [];

  constructor(
    readonly application: string,
    settings: GuardSettings,
    carried?: GuardCarry,
  ) {
    this.settings = settings;
    for (const [prefix, baseline, through, buckets] of carried?.prefixes ?? []) {
      this.stats.set(prefix, {
        baseline,
        through,
        buckets: new Map(buckets.map(([b, s, v]) => [b, [s, v]])),
      });
    }
    for (const b of carried?.blocks ?? []) this.blocks.set(b.prefix, b);
    this.lifted = [...(carried?.lifted ?? [])];
  }

  /** Replaces the settings (a feed carries the reporting worker's). */
  configure(settings: GuardSettings): void {
    this.settings = settings;
  }

  get current(): GuardSettings {
    return this.settings;
  }

  private get bucketMs(): number {
    return this.settings.breaker.bucketSeconds * 1000;
  }

  private bucketOf(ms: number): number {
    return Math.floor(ms / this.bucketMs);
  }

  private bucketsIn(seconds: number): number {
    return Math.max(1, Math.ceil((seconds * 1000) / this.bucketMs));
  }

  /** Adds a feed's counts at `now`; returns the prefixes it touched. */
  record(counts: readonly PrefixCounts[], now: number): string[] {
    const bucket = this.bucketOf(now);
    const touched: string[] = [];
    for (const c of counts) {
      const prefix = normalisePrefix(c?.prefix);
      const sends = Number.isInteger(c?.sends) && c.sends > 0 ? c.sends : 0;
      const verified = Number.isInteger(c?.verified) && c.verified > 0 ? c.verified : 0;
      if (!prefix || sends + verified === 0) continue;
      const stats = this.statsOf(prefix, bucket);
      const cell = stats.buckets.get(bucket) ?? [0, 0];
      stats.buckets.set(bucket, [cell[0] + sends, cell[1] + verified]);
      touched.push(prefix);
    }
    return touched;
  }

  private statsOf(prefix: string, bucket: number): Stats {
    let stats = this.stats.get(prefix);
    if (!stats) {
      if (this.stats.size >= MAX_TRACKED_PREFIXES) this.evictOne();
      stats = {
        baseline: 0,
        through: bucket - this.bucketsIn(this.settings.breaker.spikeWindowSeconds),
        buckets: new Map(),
      };
      this.stats.set(prefix, stats);
    }
    return stats;
  }

  private evictOne(): void {
    let oldest: [string, number] | undefined;
    for (const [prefix, s] of this.stats) {
      if (this.blocks.has(prefix)) continue;
      const last = Math.max(s.through, ...s.buckets.keys());
      if (!oldest || last < oldest[1]) oldest = [prefix, last];
    }
    if (oldest) this.stats.delete(oldest[0]);
  }

  /** Folds the buckets that left the spike window into the baseline, and drops expired ones. */
  private roll(s: Stats, now: number): void {
    const b = this.settings.breaker;
    const target = this.bucketOf(now) - this.bucketsIn(b.spikeWindowSeconds);
    if (target > s.through) {
      const keep = 2 ** (-b.bucketSeconds / b.baselineHalfLifeSeconds);
      let at = s.through;
      const keys = [...s.buckets.keys()].filter((k) => k > s.through && k <= target).sort((x, y) => x - y);
      for (const k of keys) {
        s.baseline = s.baseline * keep ** (k - at - 1);
        s.baseline = s.baseline * keep + (s.buckets.get(k)?.[0] ?? 0) * (1 - keep);
        at = k;
      }
      s.baseline *= keep ** (target - at);
      s.through = target;
    }
    const oldest = this.bucketOf(now) - this.retentionBuckets();
    for (const k of s.buckets.keys()) if (k <= oldest && k <= s.through) s.buckets.delete(k);
  }

  private retentionBuckets(): number {
    const b = this.settings.breaker;
    return this.bucketsIn(
      Math.max(b.windowSeconds, b.spikeWindowSeconds, this.settings.perPrefix?.windowSeconds ?? 0),
    );
  }

  /** Sends and verifications of buckets `from`..`to` (inclusive). */
  private sum(s: Stats, from: number, to: number): [number, number] {
    let sends = 0;
    let verified = 0;
    for (const [k, [sent, ok]] of s.buckets) {
      if (k < from || k > to) continue;
      sends += sent;
      verified += ok;
    }
    return [sends, verified];
  }

  /** The figures the rules judge a prefix by at `now`. */
  private figures(prefix: string, s: Stats, now: number): PrefixFigures & { judged: number } {
    const b = this.settings.breaker;
    const current = this.bucketOf(now);
    const [sends, verified] = this.sum(s, current - this.bucketsIn(b.windowSeconds) + 1, current);
    const [judged] = this.sum(
      s,
      current - this.bucketsIn(b.windowSeconds) + 1,
      this.bucketOf(now - b.verifyGraceSeconds * 1000) - 1,
    );
    const [recentSends] = this.sum(s, current - this.bucketsIn(b.spikeWindowSeconds) + 1, current);
    const baseline = round(s.baseline * this.bucketsIn(b.spikeWindowSeconds));
    const conversion = judged > 0 ? round(Math.min(verified / judged, 1), 3) : undefined;
    return {
      prefix,
      sends,
      verified,
      judged,
      recentSends,
      baseline,
      ...(conversion !== undefined ? { conversion } : {}),
    };
  }

  private allowed(prefix: string): boolean {
    return this.settings.breaker.allowPrefixes.some((a) => {
      const p = normalisePrefix(a);
      return p !== undefined && underPrefix(prefix, p);
    });
  }

  /**
   * Applies the rules at `now` to `prefixes` (all when absent) and lifts blocks whose time is
   * up. Returns the blocks it made.
   */
  evaluate(now: number, prefixes?: readonly string[]): PrefixBlock[] {
    for (const [prefix, block] of this.blocks) {
      if (Date.parse(block.until) <= now) this.lift(prefix, now, 'cool-off over');
    }
    const made: PrefixBlock[] = [];
    if (!this.settings.breaker.enabled) return made;
    for (const prefix of prefixes ?? [...this.stats.keys()]) {
      const s = this.stats.get(prefix);
      if (!s) continue;
      this.roll(s, now);
      if (this.blocks.has(prefix) || this.allowed(prefix)) continue;
      const block = this.judge(this.figures(prefix, s, now), now);
      if (!block) continue;
      this.blocks.set(prefix, block);
      // Judged afresh once the block lifts; the baseline stays.
      s.buckets.clear();
      made.push(block);
    }
    return made;
  }

  private judge(f: PrefixFigures & { judged: number }, now: number): PrefixBlock | undefined {
    const b = this.settings.breaker;
    const window = (seconds: number) => `${seconds} s`;
    const block = { prefix: f.prefix, since: iso(now), until: iso(now + b.coolOffSeconds * 1000) };
    if (f.recentSends >= b.minSpikeVolume && f.recentSends >= b.spikeFactor * f.baseline) {
      return {
        ...block,
        rule: 'SPIKE',
        reason: `${f.recentSends} sends in ${window(b.spikeWindowSeconds)} against a baseline of ${f.baseline} (limit: ${b.spikeFactor}× baseline, at least ${b.minSpikeVolume})`,
        sends: f.recentSends,
        windowSeconds: b.spikeWindowSeconds,
        baseline: f.baseline,
      };
    }
    if (f.judged >= b.minVolume && (f.conversion ?? 0) < b.minConversion) {
      return {
        ...block,
        rule: 'CONVERSION',
        reason: `${f.verified} verified of ${f.judged} sends in ${window(b.windowSeconds)} (conversion ${f.conversion ?? 0} under ${b.minConversion})`,
        sends: f.judged,
        verified: f.verified,
        conversion: f.conversion ?? 0,
        windowSeconds: b.windowSeconds,
      };
    }
    return undefined;
  }

  private lift(prefix: string, now: number, reason: string, by?: string): PrefixBlock | undefined {
    const block = this.blocks.get(prefix);
    if (!block) return undefined;
    this.blocks.delete(prefix);
    const entry = { ...block, liftedAt: iso(now), liftReason: reason, ...(by ? { liftedBy: by } : {}) };
    this.lifted = [entry, ...this.lifted].slice(0, KEPT_LIFTED);
    return block;
  }

  /** An operator's block of `prefix` for `seconds`. */
  block(prefix: string, seconds: number, reason: string, by: string, now: number): PrefixBlock {
    const block: PrefixBlock = {
      prefix,
      rule: 'MANUAL',
      since: iso(now),
      until: iso(now + seconds * 1000),
      reason,
      by,
    };
    this.blocks.set(prefix, block);
    return block;
  }

  /** An operator lifts the block of `prefix`; returns it, or undefined when it was not blocked. */
  unblock(prefix: string, reason: string, by: string, now: number): PrefixBlock | undefined {
    const block = this.lift(prefix, now, reason, by);
    this.stats.get(prefix)?.buckets.clear();
    return block;
  }

  /** Prefixes over their velocity limit at `now`, and until when. */
  limited(now: number): PrefixLimit[] {
    const limit = this.settings.perPrefix;
    if (!limit) return [];
    const out: PrefixLimit[] = [];
    const current = this.bucketOf(now);
    const first = current - this.bucketsIn(limit.windowSeconds) + 1;
    for (const [prefix, s] of this.stats) {
      const inWindow = [...s.buckets].filter(([k]) => k >= first && k <= current).sort((x, y) => x[0] - y[0]);
      let sends = inWindow.reduce((n, [, [sent]]) => n + sent, 0);
      if (sends < limit.max) continue;
      const total = sends;
      // The limit holds until enough of the oldest buckets have left the window.
      let until = now;
      for (const [k, [sent]] of inWindow) {
        sends -= sent;
        until = (k + 1) * this.bucketMs + limit.windowSeconds * 1000;
        if (sends < limit.max) break;
      }
      out.push({
        prefix,
        sends: total,
        max: limit.max,
        windowSeconds: limit.windowSeconds,
        until: iso(until),
      });
    }
    return out;
  }

  /** When the guard must look again by itself (a block or limit ends, sends become judgeable). */
  nextWake(now: number): number | undefined {
    const times = [...this.blocks.values()].map((b) => Date.parse(b.until));
    times.push(...this.limited(now).map((l) => Date.parse(l.until)));
    const active = [...this.stats.values()].some((s) => s.buckets.size > 0);
    if (active && this.settings.breaker.enabled) times.push((this.bucketOf(now) + 1) * this.bucketMs);
    return times.length ? Math.max(Math.min(...times), now + 1) : undefined;
  }

  /** What the `guardView` query answers. */
  view(now: number): GuardView {
    const prefixes = [...this.stats]
      .map(([prefix, s]) => {
        const { judged: _judged, ...f } = this.figures(prefix, s, now);
        return f;
      })
      .filter((f) => f.sends > 0 || f.recentSends > 0)
      .sort((a, b) => b.sends - a.sends || a.prefix.localeCompare(b.prefix))
      .slice(0, SHOWN_PREFIXES);
    return {
      application: this.application,
      at: iso(now),
      blocks: [...this.blocks.values()].sort((a, b) => a.since.localeCompare(b.since)),
      limited: this.limited(now),
      prefixes,
      lifted: this.lifted,
    };
  }

  /** The state to carry over a continue-as-new. */
  carry(): GuardCarry {
    return {
      prefixes: [...this.stats].map(([prefix, s]) => [
        prefix,
        s.baseline,
        s.through,
        [...s.buckets].map(([k, [sent, ok]]) => [k, sent, ok] as [number, number, number]),
      ]),
      blocks: [...this.blocks.values()],
      lifted: this.lifted,
    };
  }
}

/** The block, if any, that covers `destination` (E.164): the longest blocked prefix it falls under. */
export function blockCovering(blocks: readonly PrefixBlock[], destination: string): PrefixBlock | undefined {
  let found: PrefixBlock | undefined;
  for (const b of blocks) {
    if (underPrefix(destination, b.prefix) && (!found || b.prefix.length > found.prefix.length)) found = b;
  }
  return found;
}
