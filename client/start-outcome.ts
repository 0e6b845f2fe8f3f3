/**
 * A start answers once its first send is known. When no PIN went out, that is not a verification
 * started and fine: it becomes the typed error that says why (see `startRefusal`).
 */
import { REASON_OF_STATUS, REASONS, RETRYABLE_REASONS, type ReasonCode } from '../domain/reasons';
import { TERMINAL_STATUSES, type VerificationStatus } from '../domain/types';
import {
  MisconfiguredError,
  RateLimitedError,
  SendFailedError,
  UndeliverableError,
  VerificationFinishedError,
  type LibraryError,
} from './errors';

/** What a start learnt about its flow (`StartResult` of the client, as far as this needs). */
export interface StartOutcome {
  id: string;
  status: VerificationStatus;
  reason?: string;
  reasonCode?: ReasonCode;
  retryAt?: string;
}

/**
 * The error for a start whose flow ended before a PIN went out; undefined while it is going
 * (LOOKUP, SENDING, PENDING). RATE_LIMITED → `RateLimitedError` (with `retryAfterSeconds` when
 * Infobip said), UNDELIVERABLE → `UndeliverableError`, FAILED → `SendFailedError`, or
 * `MisconfiguredError` when the workers refused this client's hash key; any other ending (a
 * cancel that raced the start) → `VerificationFinishedError`.
 */
export function startRefusal(r: StartOutcome, now = Date.now()): LibraryError | undefined {
  if (!TERMINAL_STATUSES.includes(r.status)) return undefined;
  const code = r.reasonCode ?? REASON_OF_STATUS[r.status];
  if (!code) return new VerificationFinishedError(r.id, r.status);
  // The sentence comes from the code, never from what an older flow may have stored.
  const said = REASONS[code];
  switch (r.status) {
    case 'RATE_LIMITED': {
      const seconds = r.retryAt ? Math.max(1, Math.ceil((Date.parse(r.retryAt) - now) / 1000)) : undefined;
      return new RateLimitedError('RATE_LIMITED', seconds, r.retryAt, { id: r.id });
    }
    case 'UNDELIVERABLE':
      return new UndeliverableError(r.id, code, said);
    case 'FAILED':
      if (code === 'DESTINATION_HASH_MISMATCH') return new MisconfiguredError(r.id);
      return new SendFailedError(r.id, code, RETRYABLE_REASONS.includes(code), said);
    default:
      return new VerificationFinishedError(r.id, r.status);
  }
}
