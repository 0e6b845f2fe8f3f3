/**
 * The outcome webhook's signature, both sides: `signWebhook` (the worker's delivery) and
 * `verifyWebhook` (a receiver in your backend). One scheme, defined here only:
 *
 *     X-Otpflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * A receiver recomputes the HMAC over the raw body exactly as received, compares it in
 * constant time and refuses a `t` further than `toleranceSeconds` from its clock (replays).
 * Each delivery attempt is signed anew, so a retry hours later still carries a fresh `t`;
 * `X-Otpflow-Delivery` stays the same across the retries of one delivery (de-duplicate on it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Channel, VerificationStatus } from '../domain/types';

/** Header carrying the signature (lower-case, as Node's `req.headers` has it). */
export const SIGNATURE_HEADER = 'x-otpflow-signature';
/** Header that is the same on every retry of one delivery. */
export const DELIVERY_HEADER = 'x-otpflow-delivery';
/** Default replay window of `verifyWebhook`, in seconds. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** What the webhook's JSON body carries: never the destination in clear, never the code. */
export interface WebhookEvent {
  verificationId: string;
  application: string;
  status: VerificationStatus;
  reason?: string;
  verified: boolean;
  channel: Channel;
  /** The keyed hash of the destination (the `OtpDestinationHash` search attribute). */
  destinationHash: string;
  /** ISO 8601. */
  finishedAt: string;
}

/** Why `verifyWebhook` refused a request. */
export type WebhookRefusal =
  | 'MISSING_SIGNATURE'
  | 'MALFORMED_SIGNATURE'
  | 'TIMESTAMP_OUT_OF_TOLERANCE'
  | 'SIGNATURE_MISMATCH'
  | 'INVALID_BODY';

/** Thrown by `verifyWebhook` when a request is not a genuine, fresh otpflow webhook; answer it 400 or 401. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  readonly code = 'OTP_WEBHOOK_INVALID';
  constructor(
    readonly reason: WebhookRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** Options of `verifyWebhook`. */
export interface VerifyWebhookOptions {
  /** Largest distance in seconds between the signature's `t` and now. @default 300 */
  toleranceSeconds?: number;
  /** The clock, in milliseconds (tests). @default Date.now */
  now?: () => number;
}

/** Request headers as Node (`IncomingMessage.headers`), fetch (`Headers`) or a plain object give them. */
export type WebhookHeaders =
  { get(name: string): string | null } | Record<string, string | string[] | undefined>;

/** `t=<t>,v1=<hex>` for `body` signed at unix second `t`. */
export function signWebhook(secret: string, t: number, body: string): string {
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

function hmac(secret: string, t: number | string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks an otpflow webhook and answers its parsed body. `body` is the raw request body
 * (string or Buffer, before any JSON parsing); `secret` is the value of the application's
 * `webhook.secretEnv` variable. Throws `WebhookVerificationError` (with `reason`) when the
 * signature is missing, malformed, wrong, or older or newer than `toleranceSeconds`.
 */
export function verifyWebhook(
  body: string | Buffer,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  if (!secret) throw new TypeError('verifyWebhook: the secret is empty');
  const value = header(headers, SIGNATURE_HEADER);
  if (!value) throw new WebhookVerificationError('MISSING_SIGNATURE', `no ${SIGNATURE_HEADER} header`);
  const parts = value.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k, v]) => k === 'v1' && v && /^[0-9a-f]{64}$/.test(v)).map(([, v]) => v!);
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) {
    throw new WebhookVerificationError(
      'MALFORMED_SIGNATURE',
      `${SIGNATURE_HEADER} must be t=<seconds>,v1=<hex>`,
    );
  }
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  if (Math.abs(now - Number(t)) > tolerance) {
    throw new WebhookVerificationError(
      'TIMESTAMP_OUT_OF_TOLERANCE',
      `signed at ${t}, ${Math.abs(now - Number(t))} s from now (tolerance ${tolerance} s)`,
    );
  }
  const expected = Buffer.from(hmac(secret, t, body), 'hex');
  // Several v1 values may come while a secret is rotated: any one matching is enough.
  const match = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  if (!match)
    throw new WebhookVerificationError('SIGNATURE_MISMATCH', 'the signature does not match the body');
  try {
    return JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : body) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('INVALID_BODY', 'the signed body is not JSON');
  }
}
