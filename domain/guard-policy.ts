/**
 * An application's guard as declared (`applications[].guard` of the applications file, every
 * part optional) and with its defaults applied, plus the rules of a lockout. The defaults and
 * limits here are the ones `otpflow.config.schema.json` states (`test/guard-domain.test.ts`
 * proves they agree).
 */
import { InvalidInputError } from './errors';
import type { Bounds } from './policy';
import type {
  BreakerSettings,
  GuardPolicy,
  GuardSettings,
  LockoutPolicy,
  VelocityLimits,
} from './guard-types';

/** The `guard` of an application declaration: any part may be left out for its defaults. */
export interface GuardDeclaration {
  lockout?: Partial<LockoutPolicy>;
  velocity?: VelocityLimits;
  breaker?: Partial<BreakerSettings>;
}

/** Lockout defaults: 15 minutes, doubling with each earlier lockout of the day, at most a day. */
export const DEFAULT_LOCKOUT: LockoutPolicy = {
  seconds: 900,
  growthFactor: 2,
  maxSeconds: 86_400,
  windowSeconds: 86_400,
};

/**
 * Breaker defaults: judge conversion over an hour once 100 sends are older than 5 minutes,
 * block under 20 %; block a prefix sending 10× its baseline over 10 minutes (a prefix without
 * baseline: past 100 sends in 10 minutes); cool off for an hour.
 */
export const DEFAULT_BREAKER: BreakerSettings = {
  enabled: true,
  prefixDigits: 3,
  bucketSeconds: 60,
  windowSeconds: 3600,
  verifyGraceSeconds: 300,
  minVolume: 100,
  minConversion: 0.2,
  spikeWindowSeconds: 600,
  spikeFactor: 10,
  minSpikeVolume: 100,
  baselineHalfLifeSeconds: 21_600,
  coolOffSeconds: 3600,
  allowPrefixes: [],
  testNumbers: [],
};

/** Bounds of every numeric guard setting (the schema states the same). */
export const GUARD_LIMITS = {
  lockoutSeconds: { min: 0, max: 604_800 },
  lockoutGrowthFactor: { min: 1, max: 10 },
  lockoutMaxSeconds: { min: 1, max: 2_592_000 },
  lockoutWindowSeconds: { min: 1, max: 2_592_000 },
  velocityMax: { min: 1, max: 1_000_000 },
  velocityWindowSeconds: { min: 1, max: 86_400 },
  prefixDigits: { min: 0, max: 8 },
  bucketSeconds: { min: 1, max: 3600 },
  windowSeconds: { min: 1, max: 86_400 },
  verifyGraceSeconds: { min: 0, max: 86_400 },
  minVolume: { min: 1, max: 1_000_000 },
  minConversion: { min: 0, max: 1 },
  spikeWindowSeconds: { min: 1, max: 86_400 },
  spikeFactor: { min: 1, max: 1000 },
  minSpikeVolume: { min: 1, max: 1_000_000 },
  baselineHalfLifeSeconds: { min: 60, max: 2_592_000 },
  coolOffSeconds: { min: 1, max: 2_592_000 },
} as const satisfies Record<string, Bounds>;

/** The guard of an application with every default applied. */
export function resolveGuardPolicy(declared: GuardDeclaration | undefined): GuardPolicy {
  return {
    lockout: { ...DEFAULT_LOCKOUT, ...declared?.lockout },
    velocity: { ...declared?.velocity },
    breaker: {
      ...DEFAULT_BREAKER,
      ...declared?.breaker,
      allowPrefixes: [...(declared?.breaker?.allowPrefixes ?? [])],
      testNumbers: [...(declared?.breaker?.testNumbers ?? [])],
    },
  };
}

/** What an application's guard workflow runs with: its breaker, per-prefix limit and alert webhook. */
export function guardSettingsOf(app: {
  guard?: GuardDeclaration;
  webhook?: { url: string; secretEnv: string };
}): GuardSettings {
  const { breaker, velocity } = resolveGuardPolicy(app.guard);
  return {
    breaker,
    ...(velocity.perPrefix ? { perPrefix: { ...velocity.perPrefix } } : {}),
    ...(app.webhook ? { alert: { url: app.webhook.url, secretRef: app.webhook.secretEnv } } : {}),
  };
}

/** Whether an application needs its guard workflow: the breaker is on, or a per-prefix limit is set. */
export function needsGuardWorkflow(policy: GuardPolicy): boolean {
  return policy.breaker.enabled || policy.velocity.perPrefix !== undefined;
}

/**
 * Seconds of a lockout after `earlier` lockouts of the destination within the window:
 * `seconds × growthFactor^earlier`, at most `maxSeconds`.
 */
export function lockoutSeconds(lockout: LockoutPolicy, earlier: number): number {
  const n = Math.max(0, Math.floor(earlier));
  return Math.min(lockout.maxSeconds, Math.round(lockout.seconds * lockout.growthFactor ** Math.min(n, 64)));
}

function numberWithin(value: unknown, field: string, { min, max }: Bounds, integer = true): void {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw new InvalidInputError(
      field,
      `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
    );
  }
}

/** Checks a lockout policy (it travels in a verification's policy); throws `InvalidInputError`. */
export function validateLockout(lockout: LockoutPolicy, field = 'policy.lockout'): void {
  if (!lockout || typeof lockout !== 'object') throw new InvalidInputError(field, 'must be an object');
  numberWithin(lockout.seconds, `${field}.seconds`, GUARD_LIMITS.lockoutSeconds);
  numberWithin(lockout.growthFactor, `${field}.growthFactor`, GUARD_LIMITS.lockoutGrowthFactor, false);
  numberWithin(lockout.maxSeconds, `${field}.maxSeconds`, GUARD_LIMITS.lockoutMaxSeconds);
  numberWithin(lockout.windowSeconds, `${field}.windowSeconds`, GUARD_LIMITS.lockoutWindowSeconds);
}

/** Whether `value` is a usable `GuardSettings` (a feed's settings come from any signaller). */
export function isGuardSettings(value: unknown): value is GuardSettings {
  const b = (value as GuardSettings | undefined)?.breaker;
  if (!b || typeof b !== 'object' || typeof b.enabled !== 'boolean') return false;
  const within = (n: unknown, { min, max }: Bounds) =>
    typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max;
  const numeric: (keyof typeof GUARD_LIMITS & keyof BreakerSettings)[] = [
    'prefixDigits',
    'bucketSeconds',
    'windowSeconds',
    'verifyGraceSeconds',
    'minVolume',
    'minConversion',
    'spikeWindowSeconds',
    'spikeFactor',
    'minSpikeVolume',
    'baselineHalfLifeSeconds',
    'coolOffSeconds',
  ];
  if (!numeric.every((k) => within(b[k], GUARD_LIMITS[k]))) return false;
  if (!Array.isArray(b.allowPrefixes) || !Array.isArray(b.testNumbers)) return false;
  const limit = (value as GuardSettings).perPrefix;
  return (
    limit === undefined ||
    (within(limit.max, GUARD_LIMITS.velocityMax) &&
      within(limit.windowSeconds, GUARD_LIMITS.velocityWindowSeconds))
  );
}
