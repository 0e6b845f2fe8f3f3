/**
 * The rules of a verification policy and of PINs. The numeric limits are the ones the
 * applications file's schema (`otpflow.config.schema.json`) declares; `test/policy-schema.test.ts`
 * proves the two agree. `validatePolicy` re-checks a policy that reaches a start some other way
 * than through the applications file (code, a workflow started by hand).
 */
import { InvalidInputError } from './errors';
import { validateLockout } from './guard-policy';
import { CHANNELS, type PinType, type VerificationPolicy } from './types';

/** Inclusive bounds of an integer setting. */
export interface Bounds {
  min: number;
  max: number;
}

/** Limits of every numeric policy and PIN setting (`otpflow.config.schema.json` says the same). */
export const POLICY_LIMITS = {
  ttlSeconds: { min: 1, max: 86_400 },
  maxAttempts: { min: 1, max: 100 },
  resendCooldownSeconds: { min: 0, max: 86_400 },
  maxResends: { min: 0, max: 20 },
  fallbackSteps: { min: 0, max: 5 },
  fallbackAfterSeconds: { min: 1, max: 86_400 },
  pinLength: { min: 4, max: 10 },
  /** Not in the applications file: set by code only (`VerificationPolicy.retryBudgetSeconds`). */
  retryBudgetSeconds: { min: 1, max: 3600 },
  checkTimeoutSeconds: { min: 2, max: 60 },
} as const satisfies Record<string, Bounds>;

/**
 * End-to-end budget of a code check while Infobip does not answer, when the application sets
 * none (`policy.checkTimeoutSeconds`; the schema's default says the same).
 */
export const DEFAULT_CHECK_TIMEOUT_SECONDS = 5;

/** Lookup policies, as the schema lists them. */
export const LOOKUP_POLICIES = ['REQUIRED', 'ADVISORY', 'OFF'] as const;

/** The characters of each PIN alphabet (Infobip's PIN types). */
export const PIN_ALPHABETS: Record<PinType, RegExp> = {
  NUMERIC: /^[0-9]+$/,
  HEX: /^[0-9A-F]+$/,
  ALPHA: /^[A-Z]+$/,
  ALPHANUMERIC: /^[A-Z0-9]+$/,
};

/** ISO 3166-1 alpha-2 country code. */
const COUNTRY = /^[A-Z]{2}$/;

function integerWithin(value: unknown, field: string, { min, max }: Bounds): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(field, `must be an integer from ${min} to ${max}`);
  }
}

/** Checks a policy; throws `InvalidInputError` naming the field. */
export function validatePolicy(policy: VerificationPolicy, field = 'policy'): void {
  if (!policy || typeof policy !== 'object') throw new InvalidInputError(field, 'is required');
  if (!(LOOKUP_POLICIES as readonly string[]).includes(policy.lookup)) {
    throw new InvalidInputError(`${field}.lookup`, 'must be REQUIRED, ADVISORY or OFF');
  }
  integerWithin(policy.ttlSeconds, `${field}.ttlSeconds`, POLICY_LIMITS.ttlSeconds);
  integerWithin(policy.maxAttempts, `${field}.maxAttempts`, POLICY_LIMITS.maxAttempts);
  integerWithin(
    policy.resendCooldownSeconds,
    `${field}.resendCooldownSeconds`,
    POLICY_LIMITS.resendCooldownSeconds,
  );
  integerWithin(policy.maxResends, `${field}.maxResends`, POLICY_LIMITS.maxResends);
  if (!Array.isArray(policy.fallback)) throw new InvalidInputError(`${field}.fallback`, 'must be an array');
  if (policy.fallback.length > POLICY_LIMITS.fallbackSteps.max) {
    throw new InvalidInputError(
      `${field}.fallback`,
      `must have at most ${POLICY_LIMITS.fallbackSteps.max} steps`,
    );
  }
  policy.fallback.forEach((step, i) => {
    if (!CHANNELS.includes(step?.channel)) {
      throw new InvalidInputError(`${field}.fallback[${i}].channel`, 'must be SMS, VOICE or EMAIL');
    }
    integerWithin(
      step.afterSeconds,
      `${field}.fallback[${i}].afterSeconds`,
      POLICY_LIMITS.fallbackAfterSeconds,
    );
  });
  if (!Array.isArray(policy.allowedCountries) || !policy.allowedCountries.every((c) => COUNTRY.test(c))) {
    throw new InvalidInputError(
      `${field}.allowedCountries`,
      'must be a list of ISO 3166-1 alpha-2 codes such as "CH"',
    );
  }
  if (!policy.pin || !(policy.pin.type in PIN_ALPHABETS)) {
    throw new InvalidInputError(`${field}.pin.type`, 'must be NUMERIC, ALPHA, HEX or ALPHANUMERIC');
  }
  integerWithin(policy.pin.length, `${field}.pin.length`, POLICY_LIMITS.pinLength);
  if (policy.retryBudgetSeconds !== undefined)
    integerWithin(policy.retryBudgetSeconds, `${field}.retryBudgetSeconds`, POLICY_LIMITS.retryBudgetSeconds);
  if (policy.trackDelivery !== undefined && typeof policy.trackDelivery !== 'boolean')
    throw new InvalidInputError(`${field}.trackDelivery`, 'must be true or false');
  if (policy.lockout !== undefined) validateLockout(policy.lockout, `${field}.lockout`);
  if (policy.checkTimeoutSeconds !== undefined)
    integerWithin(
      policy.checkTimeoutSeconds,
      `${field}.checkTimeoutSeconds`,
      POLICY_LIMITS.checkTimeoutSeconds,
    );
}
