/**
 * Errors of the otpflow client library. Callers (the CLI, the HTTP API, backend code) branch
 * on `code` or `instanceof`, never on message text. Business outcomes of a check (wrong code,
 * locked, expired by this check) are return values, not errors.
 */
import { OtpError, OtpErrorCodes, type InvalidInputError } from '../domain/errors';
import type { ReasonCode } from '../domain/reasons';
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

/**
 * Why a resend or a start was refused for now. Resends: `COOLDOWN`, `MAX_RESENDS`,
 * `RATE_LIMITED` (Infobip's send limit). Starts, before anything is sent (the abuse guard):
 * `DESTINATION_VELOCITY`, `PREFIX_VELOCITY`, `CLIENT_IP_VELOCITY`, `SESSION_VELOCITY` (a
 * velocity limit), `PREFIX_BLOCKED` (the pumping breaker or an operator blocked the
 * destination's prefix). The HTTP API adds `API_KEY` (its per-key rate limit).
 */
export type RateLimitReason =
  | 'COOLDOWN'
  | 'MAX_RESENDS'
  | 'RATE_LIMITED'
  | 'DESTINATION_VELOCITY'
  | 'PREFIX_VELOCITY'
  | 'CLIENT_IP_VELOCITY'
  | 'SESSION_VELOCITY'
  | 'PREFIX_BLOCKED'
  | 'API_KEY';

const RATE_LIMIT_TEXT: Record<RateLimitReason, string> = {
  COOLDOWN: 'resend refused: cooldown',
  MAX_RESENDS: 'resend refused: no resends left',
  RATE_LIMITED: 'resend refused: send limit reached at Infobip',
  DESTINATION_VELOCITY: 'start refused: too many verifications for this destination',
  PREFIX_VELOCITY: "start refused: too many codes sent to this destination's prefix",
  CLIENT_IP_VELOCITY: 'start refused: too many verifications from this client IP',
  SESSION_VELOCITY: 'start refused: too many verifications from this session',
  PREFIX_BLOCKED: "start refused: the destination's prefix is blocked by the fraud guard",
  API_KEY: 'too many requests for this API key',
};

/**
 * Thrown when a resend or a start is refused for now: a resend's cooldown, no resends left,
 * Infobip's send limit, or the abuse guard before a start (see `RateLimitReason`); or when a start
 * sent no PIN because of Infobip's send limit (`id` is then the verification, which ended
 * RATE_LIMITED). `retryAfterSeconds` says when to try again when it is known; absent when nobody
 * knows or waiting cannot help (no resends left).
 */
export class RateLimitedError extends OtpError {
  override readonly name = 'RateLimitedError';
  readonly code = OtpErrorCodes.RATE_LIMITED;
  /** The verification a start created and ended; absent for a resend. */
  readonly id?: string;
  constructor(
    readonly reason: RateLimitReason,
    readonly retryAfterSeconds?: number,
    readonly retryAt?: string,
    options: { id?: string } = {},
  ) {
    super(
      options.id
        ? "no PIN was sent: Infobip's send limit for this number or application was reached"
        : reason === 'COOLDOWN'
          ? `resend refused: cooldown, retry in ${retryAfterSeconds ?? '?'} s`
          : reason === 'MAX_RESENDS' || reason === 'RATE_LIMITED'
            ? RATE_LIMIT_TEXT[reason]
            : `${RATE_LIMIT_TEXT[reason] ?? reason}${retryAfterSeconds !== undefined ? `, retry in ${retryAfterSeconds} s` : ''}`,
    );
    if (options.id) this.id = options.id;
  }
}

/**
 * Thrown when a start sent no PIN because the destination cannot get one: Number Lookup says
 * the number is unknown, unreachable or cannot take SMS, or Infobip did not deliver. Trying
 * again will not help. `id` is the verification (ended UNDELIVERABLE), `reasonCode` says why.
 */
export class UndeliverableError extends OtpError {
  override readonly name = 'UndeliverableError';
  readonly code = OtpErrorCodes.UNDELIVERABLE;
  constructor(
    readonly id: string,
    readonly reasonCode: ReasonCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thrown when no PIN could be sent: a start whose verification ended FAILED (`id`), or a resend
 * Infobip did not take. `retryable` is true when Infobip (or Number Lookup) could not be reached,
 * so the same call may work later; false when Infobip refused or its answers were lost.
 */
export class SendFailedError extends OtpError {
  override readonly name = 'SendFailedError';
  readonly code = OtpErrorCodes.SEND_FAILED;
  constructor(
    readonly id: string,
    readonly reasonCode: ReasonCode,
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thrown when the workers refused a start because this client's `OTPFLOW_DESTINATION_HASH_KEY`
 * is not theirs: its ID and destination hash do not match the destination, and letting it
 * through would bypass de-duplication (a second PIN). `id` is the verification, which ended
 * FAILED; nothing was sent. (A client lacking the workers' encryption keys gets a `ConfigError`.)
 */
export class MisconfiguredError extends OtpError {
  override readonly name = 'MisconfiguredError';
  readonly code = OtpErrorCodes.MISCONFIGURED;
  /** The environment variable that differs from the workers'. */
  readonly variable = 'OTPFLOW_DESTINATION_HASH_KEY';
  constructor(
    readonly id: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      `the workers refused ${id}: its ID and destination hash were made with another OTPFLOW_DESTINATION_HASH_KEY than theirs; nothing was sent`,
      { cause: options.cause },
    );
  }
}

/**
 * Thrown when a start is refused because the destination is locked: a verification of it
 * ended LOCKED (no attempts left) within its lockout. Nothing was sent; `lockedUntil` (and
 * `retryAfterSeconds`) say when a new verification may start.
 */
export class DestinationLockedError extends OtpError {
  override readonly name = 'DestinationLockedError';
  readonly code = OtpErrorCodes.DESTINATION_LOCKED;
  readonly retryAfterSeconds: number;
  constructor(
    readonly lockedUntil: string,
    /** The locked verification's ID, when known. */
    readonly id?: string,
  ) {
    const seconds = Math.max(1, Math.ceil((Date.parse(lockedUntil) - Date.now()) / 1000));
    super(`the destination is locked until ${lockedUntil} (retry in ${seconds} s); nothing was sent`);
    this.retryAfterSeconds = seconds;
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
  | DestinationLockedError
  | CheckUnavailableError
  | TemporalUnreachableError
  | UndeliverableError
  | SendFailedError
  | MisconfiguredError;

/** Whether `err` is one of the library's errors (anything else is a bug or a foreign error). */
export function isLibraryError(err: unknown): err is LibraryError {
  return err instanceof OtpError;
}
