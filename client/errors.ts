/**
 * Errors of the otpflow client library. Callers (the CLI, the HTTP API, backend code) branch
 * on `code` or `instanceof`, never on message text. Business outcomes of a check (wrong code,
 * locked, expired by this check) are return values, not errors.
 */
import { OtpError, OtpErrorCodes, type InvalidInputError } from '../domain/errors';
import type { VerificationStatus } from '../domain/types';

export { OtpError, OtpErrorCodes, InvalidInputError, type OtpErrorCode } from '../domain/errors';

/**
 * Thrown when no verification has this ID, or it belongs to an application this client does
 * not serve. The two cases are deliberately indistinguishable.
 */
export class UnknownVerificationError extends OtpError {
  override readonly name = 'UnknownVerificationError';
  readonly code = OtpErrorCodes.UNKNOWN_VERIFICATION;
  constructor(readonly id: string) {
    super(`no verification with ID ${id}`);
  }
}

/**
 * Thrown when a check or resend reaches a verification that already ended; `status` is its
 * final status (`VERIFIED`, `EXPIRED`, `LOCKED`, `CANCELLED`, …). The code was not checked.
 */
export class VerificationFinishedError extends OtpError {
  override readonly name = 'VerificationFinishedError';
  readonly code = OtpErrorCodes.ALREADY_FINISHED;
  constructor(
    readonly id: string,
    readonly status: VerificationStatus,
  ) {
    super(`verification ${id} already finished as ${status}`);
  }
}

/** Why a resend was refused for now. */
export type RateLimitReason = 'COOLDOWN' | 'MAX_RESENDS' | 'RATE_LIMITED';

/**
 * Thrown when a resend is refused: cooldown not over, no resends left, or Infobip's send limit.
 * `retryAfterSeconds` says when to try again when the flow knows (cooldown); absent when waiting
 * cannot help (no resends left).
 */
export class RateLimitedError extends OtpError {
  override readonly name = 'RateLimitedError';
  readonly code = OtpErrorCodes.RATE_LIMITED;
  constructor(
    readonly reason: RateLimitReason,
    readonly retryAfterSeconds?: number,
    readonly retryAt?: string,
  ) {
    super(
      reason === 'COOLDOWN'
        ? `resend refused: cooldown, retry in ${retryAfterSeconds ?? '?'} s`
        : reason === 'MAX_RESENDS'
          ? 'resend refused: no resends left'
          : 'resend refused: send limit reached at Infobip',
    );
  }
}

/** Thrown when a code could not be checked now (Infobip unreachable); the attempt was not counted, so retry. */
export class CheckUnavailableError extends OtpError {
  override readonly name = 'CheckUnavailableError';
  readonly code = OtpErrorCodes.CHECK_UNAVAILABLE;
  constructor(message: string) {
    super(message);
  }
}

/** Thrown when the Temporal service cannot be reached (connection refused, deadline exceeded). */
export class TemporalUnreachableError extends OtpError {
  override readonly name = 'TemporalUnreachableError';
  readonly code = OtpErrorCodes.TEMPORAL_UNREACHABLE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Every error the library throws, told apart by `code` (a `switch` on it narrows the type). */
export type LibraryError =
  | UnknownVerificationError
  | VerificationFinishedError
  | InvalidInputError
  | RateLimitedError
  | CheckUnavailableError
  | TemporalUnreachableError;

/** Whether `err` is one of the library's errors (anything else is a bug or a foreign error). */
export function isLibraryError(err: unknown): err is LibraryError {
  return err instanceof OtpError;
}
