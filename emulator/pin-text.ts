/** PIN generation and message text rendering. */
import { randomInt } from 'node:crypto';
import type { PinType } from './state';

/** PIN alphabets per `pinType`. */
export const PIN_ALPHABETS: Readonly<Record<PinType, string>> = {
  NUMERIC: '0123456789',
  HEX: '0123456789ABCDEF',
  ALPHA: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ALPHANUMERIC: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
};

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** A PIN of `length` characters drawn uniformly from the alphabet with a cryptographic source. */
export function generatePin(type: PinType, length: number): string {
  const alphabet = PIN_ALPHABETS[type];
  let pin = '';
  for (let i = 0; i < length; i++) pin += alphabet[randomInt(alphabet.length)];
  return pin;
}

/** Fills `{{pin}}` and `{{name}}`-style placeholders; unknown ones stay as written. */
export function renderText(text: string, pin: string, placeholders: Record<string, string> = {}): string {
  return text.replace(PLACEHOLDER, (whole, key: string) =>
    key === 'pin' ? pin : (placeholders[key] ?? whole),
  );
}
