/**
 * Property-based tests (fast-check) of the two gates every code and destination passes:
 * `normalizeCode` and `parseDestination`. Whatever comes in, they answer a value of the right
 * shape or an `InvalidInputError` naming the field — never anything else.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { PinType } from '../../workflows/types';
import {
  InvalidInputError,
  maskDestination,
  normalizeCode,
  parseDestination,
} from '../../workflows/validation';
import { reportFigures } from './support';

const RUNS = 500;
let inputsTried = 0;
const counted = <T>(arb: fc.Arbitrary<T>) => arb.map((v) => (inputsTried++, v));

const ALPHABET: Record<PinType, string> = {
  NUMERIC: '0123456789',
  HEX: '0123456789ABCDEF',
  ALPHA: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ALPHANUMERIC: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
};
const pinSpec = fc.record({
  type: fc.constantFrom<PinType>('NUMERIC', 'HEX', 'ALPHA', 'ALPHANUMERIC'),
  length: fc.integer({ min: 4, max: 10 }),
});
const validCode = pinSpec.chain((pin) =>
  fc
    .array(fc.constantFrom(...ALPHABET[pin.type]), { minLength: pin.length, maxLength: pin.length })
    .map((chars) => ({ pin, code: chars.join('') })),
);
/** Digits of other scripts that look like 0–9 to a person: Arabic-Indic, Devanagari, full-width, Bengali, math bold. */
const unicodeDigit = fc.constantFrom(
  ...'٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९０１２３４５６７８９০১২৩৪৫৬৭৮৯',
  '𝟎',
  '𝟗',
);

/** Runs `fn`; passes when it returns, or throws InvalidInputError for `field`. */
function onlyInvalidInput(fn: () => unknown, field: string): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    return err instanceof InvalidInputError && err.field === field;
  }
}

function rejects(fn: () => unknown, field: string): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return err instanceof InvalidInputError && err.field === field;
  }
}

afterAll(() => reportFigures('validation-properties', { inputsTried }));

describe('normalizeCode', () => {
  it('accepts every well-formed code as is, and with spaces, dashes and lower case', () => {
    fc.assert(
      fc.property(counted(validCode), fc.array(fc.constantFrom(' ', '-', '\t')), ({ pin, code }, noise) => {
        expect(normalizeCode(code, pin)).toBe(code);
        const messy = [...code.toLowerCase()].map((c, i) => (noise[i] ?? '') + c).join('');
        expect(normalizeCode(messy, pin)).toBe(code);
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects a code of the wrong length', () => {
    fc.assert(
      fc.property(counted(pinSpec), fc.string({ unit: 'grapheme-ascii', maxLength: 20 }), (pin, code) => {
        fc.pre(code.replace(/[\s-]/g, '').length !== pin.length);
        expect(rejects(() => normalizeCode(code, pin), 'code')).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects unicode digits anywhere, never converting them', () => {
    fc.assert(
      fc.property(counted(validCode), fc.nat(), unicodeDigit, ({ pin, code }, at, digit) => {
        const i = at % code.length;
        const forged = code.slice(0, i) + digit + code.slice(i + 1);
        expect(rejects(() => normalizeCode(forged, pin), 'code')).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers any value with a code of its alphabet or InvalidInputError(code), nothing else', () => {
    fc.assert(
      fc.property(counted(pinSpec), fc.oneof(fc.anything(), fc.string({ unit: 'binary' })), (pin, value) => {
        let out: string | undefined;
        expect(onlyInvalidInput(() => (out = normalizeCode(value, pin)), 'code')).toBe(true);
        if (out !== undefined) {
          expect(out).toHaveLength(pin.length);
          expect([...out].every((c) => ALPHABET[pin.type].includes(c))).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

const swissMobile = fc.integer({ min: 0, max: 9_999_999 }).map((n) => `+4179${String(n).padStart(7, '0')}`);

describe('parseDestination', () => {
  it('parses every valid Swiss mobile number to itself, country CH, idempotently', () => {
    fc.assert(
      fc.property(counted(swissMobile), fc.constantFrom<'SMS' | 'VOICE'>('SMS', 'VOICE'), (to, channel) => {
        const parsed = parseDestination(to, channel);
        expect(parsed).toEqual({ kind: 'phone', e164: to, country: 'CH' });
        expect(parseDestination(to, channel)).toEqual(parsed);
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects numbers in every bad shape: no plus, spaces, dashes, brackets, letters, unicode digits, too long', () => {
    const mangle = fc.constantFrom(
      (s: string) => s.slice(1),
      (s: string) => `00${s.slice(1)}`,
      (s: string) => `${s.slice(0, 5)} ${s.slice(5)}`,
      (s: string) => `${s.slice(0, 5)}-${s.slice(5)}`,
      (s: string) => `+41 (79) ${s.slice(5)}`,
      (s: string) => `${s}x`,
      (s: string) => `${s}0000000000`,
      (s: string) => ` ${s}`,
      (s: string) => `${s}\n`,
      (s: string) => s.replace(/\d/, '٣'),
      (s: string) => s.replace(/\d$/, '９'),
      (s: string) => `+0${s.slice(1)}`,
      (s: string) => `++${s.slice(1)}`,
      (s: string) => s.replace('+', '＋'),
    );
    fc.assert(
      fc.property(counted(swissMobile), mangle, (to, f) => {
        expect(rejects(() => parseDestination(f(to), 'SMS'), 'destination')).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers any value with a destination or InvalidInputError(destination), nothing else', () => {
    fc.assert(
      fc.property(
        counted(fc.oneof(fc.anything(), fc.string(), fc.stringMatching(/^\+[0-9]{0,20}$/))),
        fc.constantFrom<'SMS' | 'VOICE' | 'EMAIL'>('SMS', 'VOICE', 'EMAIL'),
        (value, channel) => {
          expect(onlyInvalidInput(() => parseDestination(value, channel), 'destination')).toBe(true);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('never shows a full number in its masked form', () => {
    fc.assert(
      fc.property(counted(swissMobile), (to) => {
        const masked = maskDestination(to);
        expect(masked).not.toContain(to.slice(1));
        expect(masked).not.toContain(to.slice(3, 9));
      }),
      { numRuns: RUNS },
    );
  });
});
