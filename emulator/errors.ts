/**
 * Errors of the Infobip emulator: the envelope it answers with and the failures it throws to
 * its own callers (start-up, configuration).
 */

/** Infobip's `messageId` values of the legacy envelope, one per HTTP status class. */
export type InfobipMessageId =
  'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'TOO_MANY_REQUESTS' | 'GENERAL_ERROR';

/** How a 429 body is shaped: Infobip's legacy `requestError` envelope or the newer `E429` one. */
export type RateLimitEnvelope = 'legacy' | 'E429';

/** Thrown inside a request handler to answer with an Infobip error envelope; never escapes the server. */
export class InfobipApiError extends Error {
  override readonly name = 'InfobipApiError';
  readonly code = 'EMULATOR_API_ERROR';
  constructor(
    readonly status: number,
    readonly messageId: InfobipMessageId,
    text: string,
    readonly validationErrors?: Record<string, string[]>,
  ) {
    super(text);
  }
}

/** Thrown by `createEmulator` when its options or its data file cannot be used. */
export class EmulatorConfigError extends Error {
  override readonly name = 'EmulatorConfigError';
  readonly code = 'EMULATOR_CONFIG';
}

/** Thrown (and answered as 400) when a fault rule is malformed. */
export class FaultRuleError extends Error {
  override readonly name = 'FaultRuleError';
  readonly code = 'EMULATOR_FAULT_RULE';
}

/** 400 BAD_REQUEST naming the problem, with per-field messages when there are any. */
export function badRequest(text: string, validationErrors?: Record<string, string[]>): InfobipApiError {
  return new InfobipApiError(400, 'BAD_REQUEST', text, validationErrors);
}

/** 404 NOT_FOUND naming what was not found. */
export function notFound(text: string): InfobipApiError {
  return new InfobipApiError(404, 'NOT_FOUND', text);
}

/** 429 TOO_MANY_REQUESTS naming the limit. */
export function tooManyRequests(text: string): InfobipApiError {
  return new InfobipApiError(429, 'TOO_MANY_REQUESTS', text);
}

/** The `messageId` Infobip uses for an HTTP status. */
export function messageIdFor(status: number): InfobipMessageId {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 429) return 'TOO_MANY_REQUESTS';
  if (status >= 500) return 'GENERAL_ERROR';
  return 'BAD_REQUEST';
}

/** Default text for a status, as Infobip's examples word it. */
export function defaultTextFor(status: number): string {
  switch (messageIdFor(status)) {
    case 'UNAUTHORIZED':
      return 'Invalid login details';
    case 'FORBIDDEN':
      return 'Forbidden';
    case 'NOT_FOUND':
      return 'Not found';
    case 'TOO_MANY_REQUESTS':
      return 'Too many requests';
    case 'GENERAL_ERROR':
      return 'Something went wrong. Please contact support.';
    default:
      return 'Bad request';
  }
}

/** The JSON body for an error: legacy envelope, or `E429` for 429s when so configured. */
export function errorBody(err: InfobipApiError, envelope: RateLimitEnvelope): unknown {
  if (err.status === 429 && envelope === 'E429') {
    return {
      errorCode: 'E429',
      description: 'Too many requests',
      action: 'Reduce the request rate and retry later.',
      violations: [{ property: '', violation: err.message }],
      resources: [],
    };
  }
  const serviceException: Record<string, unknown> = { messageId: err.messageId, text: err.message };
  if (err.validationErrors) serviceException.validationErrors = err.validationErrors;
  return { requestError: { serviceException } };
}
