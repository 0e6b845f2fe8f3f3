/**
 * Keeps personal data out of logs: phone numbers and e-mail addresses are masked, codes and
 * PINs are dropped, wherever they appear in a log record.
 */

/** Field names whose values are never logged. */
const SECRET_KEYS = /^(code|pin|pinCode|otp|apiKey|api_key|authorization|secret|password|token)$/i;
// Bounded by anything but word characters and dashes, so digit runs inside IDs and UUIDs stay.
const PHONE = /(?<![\w-])\+?\d(?:[ -]?\d){5,17}(?![\w-])/g;
/** Identifiers that are never personal data and must stay intact to be useful. */
const ID_KEYS = new Set([
  'workflowId',
  'runId',
  'activityId',
  'taskQueue',
  'namespace',
  'workflowType',
  'activityType',
  'pinId',
  'applicationId',
  'messageId',
  'requestId',
  'sdkComponent',
]);
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/** `+41793026727` → `+41•••••6727`; a short number keeps only its last two digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return '•'.repeat(Math.max(digits.length - 2, 0)) + digits.slice(-2);
  return `+${digits.slice(0, 2)}${'•'.repeat(digits.length - 6)}${digits.slice(-4)}`;
}

/** Masks phone numbers and e-mail addresses inside free text. */
export function maskText(text: string): string {
  return text
    .replace(EMAIL, (_m, first: string, domain: string) => `${first}•••@${domain}`)
    .replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 7 ? maskPhone(m) : m));
}

/** A copy of `value` with secrets removed and numbers and addresses masked (depth-limited). */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[…]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      type: value.name,
      ...(typeof code === 'string' && !/^\d+$/.test(code) ? { code } : {}),
      message: maskText(value.message),
      stack: value.stack ? maskText(value.stack) : undefined,
    };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.length} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k)
      ? '[redacted]'
      : ID_KEYS.has(k) && typeof v === 'string'
        ? v
        : redact(v, depth + 1);
  }
  return out;
}
