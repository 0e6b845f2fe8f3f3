import { describe, expect, it } from 'vitest';
import { bearerToken, createKeyMatcher } from '../config/api-keys';

describe('createKeyMatcher', () => {
  const match = createKeyMatcher([
    { key: 'first-key-0123456789', value: 'first' },
    { key: 'second-key-0123456789', value: 'second' },
  ]);

  it('finds the entry of an equal key, whichever position it has', () => {
    expect(match('first-key-0123456789')).toBe('first');
    expect(match('second-key-0123456789')).toBe('second');
  });

  it('finds nothing for an unequal key, a prefix, a longer key or an empty one', () => {
    expect(match('first-key-0123456780')).toBeUndefined();
    expect(match('first-key')).toBeUndefined();
    expect(match('first-key-0123456789-and-more')).toBeUndefined();
    expect(match('')).toBeUndefined();
  });

  it('matches nothing when no keys are configured', () => {
    expect(createKeyMatcher<string>([])('anything')).toBeUndefined();
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer header and nothing else', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer two tokens')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
