/**
 * Property-based tests (fast-check) of the two gates every code and destination passes:
 * `normalizeCode` and `parseDestination`. Whatever comes in, they answer a value of the right
 * shape or an `InvalidInputError` naming the field — never anything else.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { policyOf } from '../../client/start-input';
import { testApplication } from '../kits/client';
import { maskDestination, parseDestination } from '../../domain/destination';
import { InvalidInputError } from '../../domain/errors';
import { normalizeCode, validateInput } from '../../domain/input';
import type { PinType, VerificationInput } from '../../domain/types';
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

  it('rejects numbers in every bad shape: no plus, letters, unicode digits, too long (full and shape checks)', () => {
    const mangle = fc.constantFrom(
      (s: string) => s.slice(1),
      (s: string) => `${s}x`,
      (s: string) => `${s}0000000000`,
      (s: string) => s.replace(/\d/, '٣'),
      (s: string) => s.replace(/\d$/, '９'),
      (s: string) => `+0${s.slice(1)}`,
      (s: string) => `++${s.slice(1)}`,
      (s: string) => s.replace('+', '＋'),
      (s: string) => `${s.slice(0, 5)}_${s.slice(5)}`,
    );
    fc.assert(
      fc.property(counted(swissMobile), mangle, (to, f) => {
        expect(rejects(() => parseDestination(f(to), 'SMS'), 'destination')).toBe(true);
        expect(rejects(() => parseDestination(f(to), 'SMS', 'destination', 'shape'), 'destination')).toBe(
          true,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('takes a number as people type it (00, spaces, dashes, brackets, outer blanks) as the same E.164 in a full parse only', () => {
    const typed = fc.constantFrom(
      (s: string) => `00${s.slice(1)}`,
      (s: string) => `${s.slice(0, 5)} ${s.slice(5)}`,
      (s: string) => `${s.slice(0, 5)}-${s.slice(5)}`,
      (s: string) => `${s.slice(0, 3)}.${s.slice(3, 5)}.${s.slice(5)}`,
      (s: string) => `+41 (79) ${s.slice(5)}`,
      (s: string) => ` ${s}`,
      (s: string) => `${s}\n`,
    );
    fc.assert(
      fc.property(counted(swissMobile), typed, (to, f) => {
        expect(parseDestination(f(to), 'SMS')).toEqual({ kind: 'phone', e164: to, country: 'CH' });
        expect(rejects(() => parseDestination(f(to), 'SMS', 'destination', 'shape'), 'destination')).toBe(
          true,
        );
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

  it('shape check: accepts every number the full parse accepts, as the same E.164', () => {
    fc.assert(
      fc.property(counted(swissMobile), (to) => {
        expect(parseDestination(to, 'SMS', 'destination', 'shape')).toEqual({ kind: 'phone', e164: to });
      }),
      { numRuns: RUNS },
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

describe('validateInput in the workflow (phone numbers checked by shape)', () => {
  const input = (destination: string, allowedCountries: string[] = []): VerificationInput => {
    const app = testApplication('shape');
    return {
      application: app.name,
      destination,
      channel: 'SMS',
      policy: { ...policyOf(app), allowedCountries },
      destinationMasked: maskDestination(destination),
      destinationHash: 'h',
    };
  };

  it('leaves the full parse to the client unless the application restricts countries', () => {
    // E.164 in form, valid for no country: the client refuses it, the workflow's shape check does not.
    expect(rejects(() => validateInput(input('+99912345678')), 'destination')).toBe(true);
    expect(validateInput(input('+99912345678'), 'shape')).toEqual({ kind: 'phone', e164: '+99912345678' });
  });

  it('still parses fully, and refuses, when the application restricts countries', () => {
    const ch = '+41793026727';
    expect(validateInput(input(ch, ['CH']), 'shape')).toEqual({ kind: 'phone', e164: ch, country: 'CH' });
    expect(() => validateInput(input(ch, ['DE']), 'shape')).toThrow(/numbers from CH are not allowed/);
    expect(() => validateInput(input('+99912345678', ['CH']), 'shape')).toThrow(
      /is not a (valid )?phone number|country code that no country uses/,
    );
  });
});
