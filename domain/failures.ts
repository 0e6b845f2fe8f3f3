/**
 * Every failure `type` otpflow's Temporal code throws or branches on, in one place: what the
 * activities throw (and the workflow branches on), what the workflow's handlers throw (and the
 * client library translates), and the webhook's. Plain constants: the workflow, the
 * activities and the client all import this file.
 */

/**
 * Failure `type`s the activities throw as non-retryable `ApplicationFailure`s; the workflow
 * branches on them and lists them all as `nonRetryableErrorTypes`. (Their order is part of
 * every recorded history's activity options: append, never reorder.)
 */
export const FailureTypes = {
  /** Infobip refused the request as malformed (400) — a bug or a bad declaration. */
  BAD_REQUEST: 'InfobipBadRequest',
  /** Wrong or missing API key (401) or key without the scope (403). */
  UNAUTHORIZED: 'InfobipUnauthorized',
  /** Application, template or pinId unknown to Infobip (404). */
  NOT_FOUND: 'InfobipNotFound',
  /** Send limit for the number or application reached; retrying soon cannot help. */
  RATE_LIMITED: 'InfobipRateLimited',
  /** The application is disabled at Infobip. */
  APPLICATION_DISABLED: 'InfobipApplicationDisabled',
  /** The application or template is not declared in the configuration or not set up. */
  NOT_CONFIGURED: 'OtpflowNotConfigured',
  /** PINs went out during one send but every answer was lost, too often to send another. */
  SEND_ANSWERS_LOST: 'OtpflowSendAnswersLost',
  /** Destination rejected before any call (bad format for the channel). */
  INVALID_DESTINATION: 'OtpflowInvalidDestination',
  /**
   * The flow's destination hash (or its derived ID) does not match its destination under the
   * workers' hash key: the caller used another `OTPFLOW_DESTINATION_HASH_KEY`. Nothing is sent.
   */
  IDENTITY_MISMATCH: 'OtpflowIdentityMismatch',
} as const;

export type FailureType = (typeof FailureTypes)[keyof typeof FailureTypes];

/** Types of the retryable failures activities throw (never listed in `nonRetryableErrorTypes`). */
export const RetryableFailureTypes = {
  /** 429 that is not a send limit: retried after `Retry-After` or with backoff. */
  THROTTLED: 'InfobipThrottled',
  /** 5xx answer. */
  SERVER_ERROR: 'InfobipServerError',
  /** Connect, headers or body timeout; 408. */
  TIMEOUT: 'InfobipTimeout',
  /** Refused, reset or closed connection. */
  NETWORK: 'InfobipNetworkError',
  /** A 2xx answer whose body could not be read. */
  BAD_RESPONSE: 'InfobipBadResponse',
} as const;

/** Failure types of webhook delivery. */
export const WebhookFailureTypes = {
  /** The receiver answered 4xx (not 408/429): non-retryable. */
  REJECTED: 'WebhookRejected',
  /** 408, 429 or 5xx: retryable. */
  UNAVAILABLE: 'WebhookUnavailable',
  /** No answer: retryable. */
  NETWORK: 'WebhookNetworkError',
} as const;

// What the verification workflow throws: from a start whose input can never succeed, and from
// its update handlers; the client library turns them into its typed errors.

/** Failure type of a start whose input can never succeed, or of a malformed code; details[0] is the field. */
export const INVALID_INPUT = 'InvalidInput';
/** Failure type of a check or resend against a flow that is not PENDING; details[0] is the status. */
export const NOT_PENDING = 'NotPending';
/** Failure type of a check that could not reach Infobip in time; the attempt is not counted. */
export const CHECK_UNAVAILABLE = 'CheckUnavailable';
/**
 * Failure type of a start, check or flow refused because its payload was not encrypted while
 * the workers encrypt: the caller lacks `OTPFLOW_ENCRYPTION_KEYS` (see `UNENCRYPTED_MARK`).
 */
export const UNENCRYPTED = 'Unencrypted';

/**
 * What a worker with encryption keys decodes an unencrypted payload to (`{ [UNENCRYPTED_MARK]:
 * true }`): the workflow refuses it instead of acting on what a misconfigured caller sent.
 */
export const UNENCRYPTED_MARK = 'otpflowUnencryptedPayload';

/** Whether a decoded value is the mark of an unencrypted payload. */
export function isUnencryptedMark(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>)[UNENCRYPTED_MARK] === true
  );
}

/** Failure type of a resend Infobip did not accept (other than its send limit); details[0] is the reason code. */
export const RESEND_FAILED = 'ResendFailed';
/**
 * Not a failure: how the `start` validator answers a start that attached to a flow past its
 * first send; details[0] is the `StartAnswer` (`created: false`).
 */
export const ATTACHED = 'Attached';
/**
 * Failure type of a start that reached a flow which has its outcome and is about to close;
 * details[0] is the status. Starting again once it has closed starts a new flow.
 */
export const CLOSING = 'Closing';
/**
 * Failure type of a start that reached a LOCKED flow keeping its destination locked; details[0]
 * is `{ lockedUntil }` (ISO 8601). Nothing was sent.
 */
export const DESTINATION_LOCKED = 'DestinationLocked';
