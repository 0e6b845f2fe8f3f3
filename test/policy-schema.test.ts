/**
 * The policy limits are written twice: in the applications file's schema (for editors and the
 * loader) and in `domain/policy.ts` (for `validatePolicy`, which runs in the workflow sandbox
 * and cannot read files). This proves the two say the same, limit by limit, and that
 * `validatePolicy` enforces what it says.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyOf } from '../client/start-input';
import { InvalidInputError } from '../domain/errors';
import {
  DEFAULT_CHECK_TIMEOUT_SECONDS,
  LOOKUP_POLICIES,
  PIN_ALPHABETS,
  POLICY_LIMITS,
  validatePolicy,
  type Bounds,
} from '../domain/policy';
import type { VerificationPolicy } from '../domain/types';
import { testApplication } from './kits/client';

interface Node {
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  enum?: string[];
  properties?: Record<string, Node>;
  items?: Node;
}

const schema = JSON.parse(readFileSync(path.join(__dirname, '..', 'otpflow.config.schema.json'), 'utf8')) as {
  definitions: { application: Node };
};
const app = schema.definitions.application.properties!;
const policy = app.policy!.properties!;
const fallback = policy.fallback!;

/** Each limit of `POLICY_LIMITS` with the schema node it must equal (array limits by item count). */
const FROM_SCHEMA: Record<Exclude<keyof typeof POLICY_LIMITS, 'retryBudgetSeconds'>, Bounds> = {
  ttlSeconds: { min: policy.ttlSeconds!.minimum!, max: policy.ttlSeconds!.maximum! },
  maxAttempts: { min: policy.maxAttempts!.minimum!, max: policy.maxAttempts!.maximum! },
  resendCooldownSeconds: {
    min: policy.resendCooldownSeconds!.minimum!,
    max: policy.resendCooldownSeconds!.maximum!,
  },
  maxResends: { min: policy.maxResends!.minimum!, max: policy.maxResends!.maximum! },
  fallbackSteps: { min: fallback.minItems ?? 0, max: fallback.maxItems! },
  fallbackAfterSeconds: {
    min: fallback.items!.properties!.afterSeconds!.minimum!,
    max: fallback.items!.properties!.afterSeconds!.maximum!,
  },
  pinLength: { min: app.pin!.properties!.length!.minimum!, max: app.pin!.properties!.length!.maximum! },
  checkTimeoutSeconds: {
    min: policy.checkTimeoutSeconds!.minimum!,
    max: policy.checkTimeoutSeconds!.maximum!,
  },
};

const valid: VerificationPolicy = policyOf(testApplication('limits'));

/** A policy with one limit set to `value`. */
function withLimit(limit: keyof typeof POLICY_LIMITS, value: number): VerificationPolicy {
  switch (limit) {
    case 'fallbackSteps':
      return {
        ...valid,
        fallback: Array.from({ length: value }, () => ({ channel: 'VOICE', afterSeconds: 60 })),
      };
    case 'fallbackAfterSeconds':
      return { ...valid, fallback: [{ channel: 'VOICE', afterSeconds: value }] };
    case 'pinLength':
      return { ...valid, pin: { type: 'NUMERIC', length: value } };
    default:
      return { ...valid, [limit]: value };
  }
}

describe('policy limits', () => {
  it.each(Object.keys(FROM_SCHEMA) as (keyof typeof FROM_SCHEMA)[])(
    '%s: domain/policy.ts says what otpflow.config.schema.json says',
    (limit) => {
      expect(POLICY_LIMITS[limit]).toEqual(FROM_SCHEMA[limit]);
    },
  );

  it('retryBudgetSeconds is set by code only: the applications file does not accept it', () => {
    expect(policy.retryBudgetSeconds).toBeUndefined();
  });

  it('the check budget defaults to what the schema fills in', () => {
    expect(policy.checkTimeoutSeconds!.default).toBe(DEFAULT_CHECK_TIMEOUT_SECONDS);
  });

  it('lookup policies and PIN alphabets are the schema enums', () => {
    expect([...LOOKUP_POLICIES]).toEqual(policy.lookup!.enum);
    expect(Object.keys(PIN_ALPHABETS).sort()).toEqual([...app.pin!.properties!.type!.enum!].sort());
  });

  it.each(Object.keys(POLICY_LIMITS) as (keyof typeof POLICY_LIMITS)[])(
    '%s: validatePolicy accepts both bounds and refuses just outside them',
    (limit) => {
      const { min, max } = POLICY_LIMITS[limit];
      expect(() => validatePolicy(withLimit(limit, min))).not.toThrow();
      expect(() => validatePolicy(withLimit(limit, max))).not.toThrow();
      expect(() => validatePolicy(withLimit(limit, max + 1))).toThrow(InvalidInputError);
      if (min > 0) expect(() => validatePolicy(withLimit(limit, min - 1))).toThrow(InvalidInputError);
    },
  );
});
