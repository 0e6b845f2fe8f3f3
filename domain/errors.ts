/**
 * The error of input that can never succeed, shared by every layer: the client library and
 * the HTTP API throw it, the workflow's shape check throws it (and turns it into an
 * `InvalidInput` failure), and callers read `field` and `reason` from it, never from message
 * text. Also the base class and codes of the client library's errors (`client/errors.ts`).
 */

/** Stable codes of every error the client library throws. */
export const OtpErrorCodes = {
  UNKNOWN_VERIFICATION: 'OTP_UNKNOWN_VERIFICATION',
  ALREADY_FINISHED: 'OTP_ALREADY_FINISHED',
  INVALID_INPUT: 'OTP_INVALID_INPUT',
  RATE_LIMITED: 'OTP_RATE_LIMITED',
  CHECK_UNAVAILABLE: 'OTP_CHECK_UNAVAILABLE',
  TEMPORAL_UNREACHABLE: 'OTP_TEMPORAL_UNREACHABLE',
  DESTINATION_LOCKED: 'OTP_DESTINATION_LOCKED',
  UNDELIVERABLE: 'OTP_UNDELIVERABLE',
  SEND_FAILED: 'OTP_SEND_FAILED',
  MISCONFIGURED: 'OTP_MISCONFIGURED',
} as const;

export type OtpErrorCode = (typeof OtpErrorCodes)[keyof typeof OtpErrorCodes];

/** Base class of the library's errors; `code` is stable. */
export abstract class OtpError extends Error {
  abstract readonly code: OtpErrorCode;
}

/**
 * Thrown when input can never succeed (bad destination, unknown application, malformed
 * code…): `field` names it, `reason` says what is wrong with it; the message is
 * `<field>: <reason>`.
 */
export class InvalidInputError extends OtpError {
  override readonly name = 'InvalidInputError';
  readonly code = OtpErrorCodes.INVALID_INPUT;
  /** The input at fault: `destination`, `code`, `policy.ttlSeconds`, … */
  readonly field: string;
  /** What is wrong with it, for people: `must be 6 characters long`. */
  readonly reason: string;

  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}
