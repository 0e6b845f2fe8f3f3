/**
 * Errors of the Infobip client. Every class sets `name` and a stable `code` that callers
 * branch on; messages name the call (`POST /2fa/2/pin answered 429`) and never carry a PIN.
 */

/** Stable codes of the errors this client throws. */
export type InfobipErrorCode =
  | 'INFOBIP_HTTP'
  | 'INFOBIP_TIMEOUT'
  | 'INFOBIP_NETWORK'
  | 'INFOBIP_ABORTED'
  | 'INFOBIP_BAD_RESPONSE'
  | 'INFOBIP_INVALID_ARGUMENT';

/** Base class of every error the client throws. */
export abstract class InfobipError extends Error {
  abstract readonly code: InfobipErrorCode;
  /** `METHOD /path` of the call, without the query string. */
  readonly call: string;
  /**
   * Whether Infobip may have received and acted on the request. False only when the
   * request certainly never reached it (connection refused, connect timeout, invalid
   * argument) or Infobip answered with a status that says nothing was done.
   */
  abstract readonly mayHaveReachedServer: boolean;

  protected constructor(call: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.call = call;
  }
}

/** One field-level complaint of Infobip (`validationErrors` or `violations`). */
export interface InfobipViolation {
  property: string;
  message: string;
}

/** Thrown when Infobip answers with a status other than the operation's success status. */
export class InfobipHttpError extends InfobipError {
  override readonly name = 'InfobipHttpError';
  readonly code = 'INFOBIP_HTTP' as const;
  readonly status: number;
  /** Infobip's `messageId` (`BAD_REQUEST`, `TOO_MANY_REQUESTS`, …) or `errorCode` (`E429`). */
  readonly messageId?: string;
  /** Infobip's human text (`text` or `description`). */
  readonly text?: string;
  readonly validationErrors: InfobipViolation[];
  /** `X-Request-Id` of the answer, for Infobip support. */
  readonly requestId?: string;
  /** Delay asked by `Retry-After`, in milliseconds. */
  readonly retryAfterMs?: number;
  /** The raw body, truncated, for logs. */
  readonly body: string;

  constructor(init: {
    call: string;
    status: number;
    messageId?: string;
    text?: string;
    validationErrors?: InfobipViolation[];
    requestId?: string;
    retryAfterMs?: number;
    body: string;
  }) {
    const detail = [init.messageId, init.text].filter(Boolean).join(': ');
    super(init.call, `${init.call} answered ${init.status}${detail ? ` (${detail})` : ''}`);
    this.status = init.status;
    this.messageId = init.messageId;
    this.text = init.text;
    this.validationErrors = init.validationErrors ?? [];
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.body = init.body;
  }

  /**
   * An answer means Infobip saw the request. 4xx answers say nothing was done; a 5xx may
   * come after part of the work (e.g. the SMS went out, then something failed).
   */
  get mayHaveReachedServer(): boolean {
    return this.status >= 500;
  }
}

/** Where in the exchange a timeout struck. */
export type InfobipTimeoutPhase = 'connect' | 'headers' | 'body';

/** Thrown when connecting, waiting for the answer's headers or reading its body took too long. */
export class InfobipTimeoutError extends InfobipError {
  override readonly name = 'InfobipTimeoutError';
  readonly code = 'INFOBIP_TIMEOUT' as const;
  readonly phase: InfobipTimeoutPhase;
  readonly mayHaveReachedServer: boolean;

  constructor(call: string, phase: InfobipTimeoutPhase, cause?: unknown) {
    super(call, `${call} timed out waiting for the ${phase === 'connect' ? 'connection' : phase}`, { cause });
    this.phase = phase;
    this.mayHaveReachedServer = phase !== 'connect';
  }
}

/** Thrown when the connection failed: refused, reset, closed early, DNS. */
export class InfobipNetworkError extends InfobipError {
  override readonly name = 'InfobipNetworkError';
  readonly code = 'INFOBIP_NETWORK' as const;
  /** The system or undici code (`ECONNREFUSED`, `UND_ERR_SOCKET`, …). */
  readonly causeCode?: string;
  readonly mayHaveReachedServer: boolean;

  constructor(call: string, causeCode: string | undefined, mayHaveReachedServer: boolean, cause?: unknown) {
    const reason = cause instanceof Error ? cause.message : String(causeCode ?? 'network error');
    super(call, `${call} failed: ${reason}${causeCode ? ` (${causeCode})` : ''}`, { cause });
    this.causeCode = causeCode;
    this.mayHaveReachedServer = mayHaveReachedServer;
  }
}

/** Thrown when the caller's `AbortSignal` stopped the call. */
export class InfobipAbortedError extends InfobipError {
  override readonly name = 'InfobipAbortedError';
  readonly code = 'INFOBIP_ABORTED' as const;
  readonly mayHaveReachedServer: boolean;

  constructor(call: string, mayHaveReachedServer: boolean, cause?: unknown) {
    super(call, `${call} was aborted`, { cause });
    this.mayHaveReachedServer = mayHaveReachedServer;
  }
}

/** Thrown when Infobip answered with a success status but a body that is not the expected JSON. */
export class InfobipBadResponseError extends InfobipError {
  override readonly name = 'InfobipBadResponseError';
  readonly code = 'INFOBIP_BAD_RESPONSE' as const;
  readonly status: number;
  readonly requestId?: string;
  readonly mayHaveReachedServer = true;

  constructor(call: string, status: number, requestId: string | undefined, reason: string) {
    super(call, `${call} answered ${status} with an unreadable body: ${reason}`);
    this.status = status;
    this.requestId = requestId;
  }
}

/** Thrown before any I/O when an argument cannot be sent (e.g. a phone number not in E.164). */
export class InfobipInvalidArgumentError extends InfobipError {
  override readonly name = 'InfobipInvalidArgumentError';
  readonly code = 'INFOBIP_INVALID_ARGUMENT' as const;
  readonly mayHaveReachedServer = false;
  readonly argument: string;

  constructor(call: string, argument: string, reason: string) {
    super(call, `${call}: ${argument} ${reason}`);
    this.argument = argument;
  }
}

/**
 * Thrown by `parseDeliveryReports` when a pushed delivery-report body is not one: not JSON, no
 * `results` array, or an entry whose required field is missing or of the wrong type. `path`
 * names the first offending place (`results[0].status.groupId`). Not an `InfobipError`: no call
 * was made, Infobip called us.
 */
export class InfobipReportError extends Error {
  override readonly name = 'InfobipReportError';
  readonly code = 'INFOBIP_BAD_REPORT' as const;
  /** Where in the body the problem is (`results[2].messageId`); `''` for the body itself. */
  readonly path: string;

  constructor(path: string, reason: string) {
    super(`Delivery report ${path === '' ? 'body' : path} ${reason}`);
    this.path = path;
  }
}
