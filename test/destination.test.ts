/** Phone numbers as people type them (`domain/destination.ts`), and why a bad one is refused. */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../domain/errors';
import { parseDestination } from '../domain/destination';
import { prepareStart } from '../client/start-input';
import { testApplication } from './kits/client';

const KEY = Buffer.alloc(32, 5);
const e164 = (value: string, defaultCountry?: string) => {
  const d = parseDestination(value, 'SMS', 'to', 'full', { defaultCountry });
  return d.kind === 'phone' ? d.e164 : d.address;
};
const reason = (value: string, defaultCountry?: string): string => {
  try {
    parseDestination(value, 'SMS', 'to', 'full', { defaultCountry });
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).field).toBe('to');
    return (err as InvalidInputError).reason;
  }
  throw new Error(`${value} was accepted`);
};

describe('phone numbers as typed', () => {
  it('drops spaces, dashes, dots and parentheses and turns 00 into +', () => {
    for (const typed of [
      '+41793026727',
      '+41 79 302 67 27',
      '+41-79-302-67-27',
      '+41.79.302.67.27',
      '+41 (0)79 302 67 27',
      '0041 79 302 67 27',
      ' +41\u00a079 302 67 27 ',
    ]) {
      expect(e164(typed), typed).toBe('+41793026727');
    }
    expect(e164('+1 (415) 555-2671')).toBe('+14155552671');
  });

  it('accepts national numbers only where a default country is declared', () => {
    expect(e164('079 302 67 27', 'CH')).toBe('+41793026727');
    expect(e164('(415) 555-2671', 'US')).toBe('+14155552671');
    // A number with its own country code keeps it, whatever the default.
    expect(e164('+49 151 12345678', 'CH')).toBe('+4915112345678');
    expect(reason('079 302 67 27')).toMatch(/must start with \+ and the country code .* defaultCountry/);
  });

  it('says why a number is refused', () => {
    expect(reason('+41 79 30')).toMatch(/is too short/);
    expect(reason('+41 79 302 67 27 12345 6789')).toMatch(/is too long/);
    expect(reason('+999 123 456 789')).toMatch(/country code that no country uses/);
    expect(reason('+41 12 345 67 89')).toMatch(/is not a valid number in CH/);
    expect(reason('+41 79 302 67 27 ext. 5')).toMatch(/digits with an optional leading \+/);
    expect(reason('12', 'CH')).toMatch(/too short/);
    // Reasons never carry the number in clear.
    expect(reason('+41 12 345 67 89')).not.toContain('123456789');
  });

  it('keeps the workflow side strict: a shape check accepts E.164 only', () => {
    expect(() => parseDestination('+41 79 302 67 27', 'SMS', 'destination', 'shape')).toThrow(/E\.164/);
    expect(parseDestination('+41793026727', 'SMS', 'destination', 'shape')).toEqual({
      kind: 'phone',
      e164: '+41793026727',
    });
  });

  it('a start normalises before it derives the ID, so every spelling is one verification', () => {
    const app = testApplication('login', {}, { defaultCountry: 'CH' });
    const ids = ['+41793026727', '+41 79 302 67 27', '0041 79 302 67 27', '079 302 67 27'].map((to) =>
      prepareStart([app], KEY, { to }),
    );
    expect(new Set(ids.map((p) => p.id)).size).toBe(1);
    expect(ids.every((p) => p.input.destination === '+41793026727')).toBe(true);
    expect(() => prepareStart([testApplication('intl')], KEY, { to: '079 302 67 27' })).toThrow(
      /^to: must start with \+/,
    );
  });
});
