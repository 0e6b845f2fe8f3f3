/**
 * The abuse guard's pure parts: destination prefixes (checked against libphonenumber's
 * metadata), the breaker's rules on a clock the test drives, lockout growth, and the defaults
 * and limits the applications file's schema states.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getCountries, getCountryCallingCode } from 'libphonenumber-js/min';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BREAKER,
  DEFAULT_LOCKOUT,
  GUARD_LIMITS,
  guardSettingsOf,
  isGuardSettings,
  lockoutSeconds,
  resolveGuardPolicy,
} from '../domain/guard-policy';
import { countryCallingCode, destinationPrefix, normalisePrefix } from '../domain/guard-prefix';
import { blockCovering, GuardBook } from '../domain/guard-rules';
import type { BreakerSettings, GuardSettings } from '../domain/guard-types';
import { validatePolicy } from '../domain/policy';
import { policyOf } from '../client/start-input';
import { testApplication } from './kits/client';

describe('prefixes', () => {
  it('finds the country calling code of every country libphonenumber knows', () => {
    for (const country of getCountries()) {
      const code = getCountryCallingCode(country);
      expect(countryCallingCode(`${code}123456789`), country).toBe(code);
    }
  });

  it('keeps the country calling code and the configured national digits', () => {
    expect(destinationPrefix('+41793026727', 3)).toBe('+41793');
    expect(destinationPrefix('+447911123456', 3)).toBe('+44791');
    expect(destinationPrefix('+12025550123', 3)).toBe('+1202');
    expect(destinationPrefix('+37120000000', 2)).toBe('+37120');
    expect(destinationPrefix('+41793026727', 0)).toBe('+41');
    expect(destinationPrefix('ana@example.com', 3)).toBeUndefined();
    expect(destinationPrefix('41793026727', 3)).toBeUndefined();
  });

  it('normalises what operators type and refuses anything else', () => {
    expect(normalisePrefix('44791')).toBe('+44791');
    expect(normalisePrefix(' +44791 ')).toBe('+44791');
    for (const bad of ['', '+', '+0123', '44 791', '+4479112345678', 'abc', 12, null]) {
      expect(normalisePrefix(bad), String(bad)).toBeUndefined();
    }
  });

  it('answers the longest block covering a number', () => {
    const b = (prefix: string) => ({ prefix, rule: 'MANUAL' as const, since: '', until: '', reason: '' });
    expect(blockCovering([b('+44'), b('+44791')], '+447911123456')?.prefix).toBe('+44791');
    expect(blockCovering([b('+44791')], '+447921123456')).toBeUndefined();
  });
});

/** Breaker settings with seconds-long windows, for a clock the test drives. */
function settings(
  over: Partial<BreakerSettings> = {},
  perPrefix?: GuardSettings['perPrefix'],
): GuardSettings {
  return {
    breaker: {
      ...DEFAULT_BREAKER,
      bucketSeconds: 1,
      windowSeconds: 60,
      verifyGraceSeconds: 10,
      minVolume: 20,
      minConversion: 0.3,
      spikeWindowSeconds: 10,
      spikeFactor: 5,
      minSpikeVolume: 15,
      baselineHalfLifeSeconds: 60,
      coolOffSeconds: 30,
      ...over,
    },
    ...(perPrefix ? { perPrefix } : {}),
  };
}

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => T0 + s * 1000;
const feed = (prefix: string, sends: number, verified = 0) => [{ prefix, sends, verified }];

describe('the breaker', () => {
  it('blocks a prefix without baseline once it sends minSpikeVolume in the spike window, and says why', () => {
    const book = new GuardBook('login', settings());
    for (let s = 0; s < 14; s++) book.record(feed('+37120', 1), at(s / 2));
    expect(book.evaluate(at(7))).toEqual([]);
    book.record(feed('+37120', 1), at(7.5));
    const [block] = book.evaluate(at(7.5));
    expect(block).toMatchObject({
      prefix: '+37120',
      rule: 'SPIKE',
      sends: 15,
      windowSeconds: 10,
      baseline: 0,
    });
    expect(block!.reason).toContain('15 sends in 10 s');
    expect(Date.parse(block!.until) - Date.parse(block!.since)).toBe(30_000);
    // The block lifts after the cool-off, and the prefix is judged afresh.
    expect(book.view(at(20)).blocks).toHaveLength(1);
    book.evaluate(at(38));
    expect(book.view(at(38)).blocks).toEqual([]);
    expect(book.view(at(38)).lifted[0]).toMatchObject({ prefix: '+37120', liftReason: 'cool-off over' });
  });

  it('lets a prefix with a baseline send more, and blocks it at spikeFactor × its baseline', () => {
    const book = new GuardBook('login', settings());
    // 1 send a second for five minutes: baseline → 1 per bucket, 10 per spike window.
    for (let s = 0; s < 300; s++) {
      book.record(feed('+44791', 1, 1), at(s));
      expect(book.evaluate(at(s), ['+44791']), `second ${s}`).toEqual([]);
    }
    expect(book.view(at(300)).prefixes[0]!.baseline).toBeGreaterThan(9);
    // Four times the usual rate stays under 5× …
    for (let s = 300; s < 310; s++) {
      book.record(feed('+44791', 4, 4), at(s));
      expect(book.evaluate(at(s), ['+44791'])).toEqual([]);
    }
    // … a flood does not.
    book.record(feed('+44791', 40), at(310));
    expect(book.evaluate(at(310))[0]).toMatchObject({ rule: 'SPIKE', prefix: '+44791' });
  });

  it('blocks on conversion only once minVolume sends are older than the grace, and never an allowed prefix', () => {
    const book = new GuardBook('login', settings({ minSpikeVolume: 1000, allowPrefixes: ['+4179'] }));
    for (let s = 0; s < 25; s++) {
      book.record(feed('+33612', 1, s % 10 === 0 ? 1 : 0), at(s));
      book.record(feed('+41791', 1), at(s));
    }
    // 25 sends, none older than the 10 s grace at second 5… and only 15 judged at second 25.
    expect(book.evaluate(at(25))).toEqual([]);
    const blocks = book.evaluate(at(31));
    expect(blocks.map((b) => b.prefix)).toEqual(['+33612']);
    expect(blocks[0]).toMatchObject({ rule: 'CONVERSION', sends: 21, verified: 3, conversion: 0.143 });
  });

  it('does not block a prefix that verifies 85 % of its codes', () => {
    const book = new GuardBook('login', settings({ minSpikeVolume: 1000 }));
    for (let s = 0; s < 120; s++) {
      book.record(feed('+49151', 1, s % 20 < 17 ? 1 : 0), at(s));
      expect(book.evaluate(at(s))).toEqual([]);
    }
  });

  it('says which prefixes are over their velocity limit and until when', () => {
    const book = new GuardBook('login', settings({ enabled: false }, { max: 10, windowSeconds: 20 }));
    for (let s = 0; s < 10; s++) book.record(feed('+34612', 1), at(s));
    const [limit] = book.limited(at(10));
    // The first send (bucket 0) leaves the 20 s window at second 21.
    expect(limit).toEqual({
      prefix: '+34612',
      sends: 10,
      max: 10,
      windowSeconds: 20,
      until: new Date(at(21)).toISOString(),
    });
    expect(book.limited(at(21))).toEqual([]);
    expect(book.evaluate(at(10))).toEqual([]);
  });

  it('keeps manual blocks with who and why, lifts them by hand, and survives a carry-over', () => {
    const book = new GuardBook('login', settings());
    book.record(feed('+39347', 3, 2), at(0));
    book.block('+39', 600, 'premium range abuse', 'alice', at(1));
    const carried = new GuardBook('login', settings(), JSON.parse(JSON.stringify(book.carry())));
    expect(carried.view(at(2)).blocks).toEqual([
      expect.objectContaining({ prefix: '+39', rule: 'MANUAL', by: 'alice', reason: 'premium range abuse' }),
    ]);
    expect(carried.view(at(2)).prefixes[0]).toMatchObject({ prefix: '+39347', sends: 3, verified: 2 });
    expect(carried.unblock('+39', 'false alarm', 'bob', at(3))).toMatchObject({ prefix: '+39' });
    expect(carried.unblock('+39', 'again', 'bob', at(4))).toBeUndefined();
    expect(carried.view(at(5))).toMatchObject({
      blocks: [],
      lifted: [expect.objectContaining({ prefix: '+39', liftedBy: 'bob', liftReason: 'false alarm' })],
    });
  });

  it('ignores malformed counts', () => {
    const book = new GuardBook('login', settings());
    const touched = book.record(
      [
        { prefix: 'x', sends: 5, verified: 0 },
        { prefix: '+44', sends: -1, verified: 0.5 },
        { prefix: '+44', sends: 2, verified: 1 },
      ],
      at(0),
    );
    expect(touched).toEqual(['+44']);
    expect(book.view(at(0)).prefixes).toEqual([
      expect.objectContaining({ prefix: '+44', sends: 2, verified: 1 }),
    ]);
  });
});

describe('lockouts and defaults', () => {
  it('grows a lockout by the factor per earlier lockout, up to the maximum', () => {
    const lockout = { seconds: 900, growthFactor: 2, maxSeconds: 7200, windowSeconds: 86_400 };
    expect([0, 1, 2, 3, 4, 100].map((n) => lockoutSeconds(lockout, n))).toEqual([
      900, 1800, 3600, 7200, 7200, 7200,
    ]);
  });

  it('applies the defaults to a missing or partial guard, and puts the lockout in the policy', () => {
    expect(resolveGuardPolicy(undefined)).toEqual({
      lockout: DEFAULT_LOCKOUT,
      velocity: {},
      breaker: DEFAULT_BREAKER,
    });
    expect(resolveGuardPolicy({ lockout: { seconds: 60 } }).lockout).toEqual({
      ...DEFAULT_LOCKOUT,
      seconds: 60,
    });
    const app = testApplication('guarded', {}, { guard: { lockout: { seconds: 0 } } });
    expect(policyOf(app).lockout).toBeUndefined();
    expect(policyOf(testApplication('default')).lockout).toEqual(DEFAULT_LOCKOUT);
    expect(() =>
      validatePolicy({ ...policyOf(app), lockout: { ...DEFAULT_LOCKOUT, growthFactor: 0 } }),
    ).toThrow('policy.lockout.growthFactor');
    expect(isGuardSettings(guardSettingsOf(app))).toBe(true);
    expect(isGuardSettings({ breaker: { ...DEFAULT_BREAKER, bucketSeconds: 0 } })).toBe(false);
    expect(isGuardSettings({})).toBe(false);
  });

  it('states the same defaults and limits as the schema', () => {
    const schema = JSON.parse(
      readFileSync(path.join(__dirname, '..', 'otpflow.config.schema.json'), 'utf8'),
    ) as {
      definitions: Record<string, { properties: Record<string, { properties: Record<string, Node> }> }>;
    };
    interface Node {
      default?: unknown;
      minimum?: number;
      maximum?: number;
    }
    const guard = schema.definitions.application!.properties.guard!.properties as unknown as Record<
      string,
      { properties: Record<string, Node> }
    >;
    const lockout = guard.lockout!.properties;
    const breaker = guard.breaker!.properties;
    for (const [k, v] of Object.entries(DEFAULT_LOCKOUT))
      expect(lockout[k]!.default, `lockout.${k}`).toEqual(v);
    for (const [k, v] of Object.entries(DEFAULT_BREAKER))
      expect(breaker[k]!.default, `breaker.${k}`).toEqual(v);
    const bounds = (n: Node) => ({ min: n.minimum, max: n.maximum });
    expect(bounds(lockout.seconds!)).toEqual(GUARD_LIMITS.lockoutSeconds);
    expect(bounds(lockout.growthFactor!)).toEqual(GUARD_LIMITS.lockoutGrowthFactor);
    expect(bounds(lockout.maxSeconds!)).toEqual(GUARD_LIMITS.lockoutMaxSeconds);
    expect(bounds(lockout.windowSeconds!)).toEqual(GUARD_LIMITS.lockoutWindowSeconds);
    for (const k of Object.keys(DEFAULT_BREAKER)) {
      if (k in GUARD_LIMITS)
        expect(bounds(breaker[k]!), k).toEqual(GUARD_LIMITS[k as keyof typeof GUARD_LIMITS]);
    }
    const limit = (schema.definitions.velocityLimit as unknown as { properties: Record<string, Node> })
      .properties;
    expect(bounds(limit.max!)).toEqual(GUARD_LIMITS.velocityMax);
    expect(bounds(limit.windowSeconds!)).toEqual(GUARD_LIMITS.velocityWindowSeconds);
  });
});
