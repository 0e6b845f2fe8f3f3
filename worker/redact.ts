/**
 * Keeps personal data out of logs: phone numbers and e-mail addresses are masked
 * (`domain/destination.ts`), codes and PINs are dropped, wherever they appear in a log record.
 */
import { maskText } from '../domain/destination';

/** Field names whose values are never logged. */
const SECRET_KEYS = /^(code|pin|pinCode|otp|apiKey|api_key|authorization|secret|password|token)$/i;
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
