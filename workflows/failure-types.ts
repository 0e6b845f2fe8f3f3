/** Failure types shared by activities (which throw them) and the workflow (which branches on them). */

/**
 * Failure `type`s the activities throw as `ApplicationFailure`; the workflow branches on them.
 * Non-retryable unless stated.
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
} as const;

export type FailureType = (typeof FailureTypes)[keyof typeof FailureTypes];
