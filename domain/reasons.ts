/**
 * Why a verification ended, for callers: a stable code to branch on and a plain sentence to
 * show. Infobip's paths, IDs and texts never appear here (a pinId is a handle to a PIN): they
 * stay in the activity failures of the flow's history, which the Web UI shows, and in the
 * worker's logs, masked.
 */
import { FailureTypes } from './failures';

/** Every reason code and its sentence. Codes are stable: append, never rename. */
export const REASONS = {
  // UNDELIVERABLE: the destination cannot get a PIN; trying again will not help.
  NUMBER_UNKNOWN: 'Number Lookup says this number does not exist or cannot be reached.',
  NUMBER_UNREACHABLE: 'Number Lookup says this phone cannot be reached now.',
  NO_SMS: 'Number Lookup says this number cannot receive SMS.',
  NOT_DELIVERED: 'Infobip did not deliver the PIN to this destination.',
  // RATE_LIMITED
  SEND_LIMIT: "Infobip's send limit for this number or application was reached; no PIN was sent.",
  // FAILED
  INFOBIP_UNAVAILABLE: 'Infobip could not be reached in time to send a PIN.',
  LOOKUP_UNAVAILABLE: 'Number Lookup could not be reached, and this application requires it.',
  SEND_ANSWERS_LOST: "PINs went out but Infobip's answers were lost each time, so none can be checked.",
  INFOBIP_REFUSED: "Infobip refused the request: this deployment's Infobip setup needs attention.",
  NOT_SENT: 'No PIN could be sent.',
  DESTINATION_HASH_MISMATCH:
    "The verification ID does not match its destination under the workers' destination-hash key: " +
    "the caller's OTPFLOW_DESTINATION_HASH_KEY differs from the workers'. Nothing was sent.",
  UNENCRYPTED_PAYLOAD:
    'The workers encrypt payloads and this request was not encrypted: the caller lacks ' +
    "the workers' OTPFLOW_ENCRYPTION_KEYS. Nothing was sent.",
  // EXPIRED
  TTL_EXPIRED: 'No correct code arrived before the verification expired.',
  CODE_TOO_LATE: 'The code arrived after the verification expired.',
  PIN_EXPIRED: 'Infobip reports that the PIN expired.',
  // LOCKED
  NO_ATTEMPTS_LEFT: 'Every attempt was used.',
  // CANCELLED (the caller's own words when it gave some)
  CANCELLED: 'Cancelled by request.',
} as const;

/** A reason code (`SEND_LIMIT`, `NUMBER_UNKNOWN`, …). */
export type ReasonCode = keyof typeof REASONS;

/**
 * The reason code of an ending recorded before reason codes existed (its own reason may hold
 * Infobip's words, which callers must not see).
 */
export const REASON_OF_STATUS: Partial<Record<string, ReasonCode>> = {
  UNDELIVERABLE: 'NOT_DELIVERED',
  RATE_LIMITED: 'SEND_LIMIT',
  FAILED: 'NOT_SENT',
  EXPIRED: 'TTL_EXPIRED',
  LOCKED: 'NO_ATTEMPTS_LEFT',
  CANCELLED: 'CANCELLED',
};

/** Reasons after which the same start may succeed later: Infobip (or its lookup) was not there. */
export const RETRYABLE_REASONS: readonly ReasonCode[] = ['INFOBIP_UNAVAILABLE', 'LOOKUP_UNAVAILABLE'];

const REFUSED: readonly string[] = [
  FailureTypes.BAD_REQUEST,
  FailureTypes.UNAUTHORIZED,
  FailureTypes.NOT_FOUND,
  FailureTypes.APPLICATION_DISABLED,
  FailureTypes.NOT_CONFIGURED,
  FailureTypes.INVALID_DESTINATION,
];

/**
 * Why a send (or, with `unavailable`, a lookup) failed for good, from the failure type the
 * activity threw; anything that is not a refusal means Infobip was not there in time.
 */
export function reasonOfFailure(
  type: string | undefined,
  unavailable: ReasonCode = 'INFOBIP_UNAVAILABLE',
): ReasonCode {
  if (type === FailureTypes.RATE_LIMITED) return 'SEND_LIMIT';
  if (type === FailureTypes.SEND_ANSWERS_LOST) return 'SEND_ANSWERS_LOST';
  if (type === FailureTypes.IDENTITY_MISMATCH) return 'DESTINATION_HASH_MISMATCH';
  if (type !== undefined && REFUSED.includes(type)) return 'INFOBIP_REFUSED';
  return unavailable;
}
