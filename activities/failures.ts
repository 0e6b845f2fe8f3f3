/**
 * The Temporal translation boundary: every Infobip outcome becomes the right Temporal
 * behaviour. Permanent failures are non-retryable `ApplicationFailure`s with a `FailureTypes`
 * type; transient ones are retryable failures with a type of `RetryableFailureTypes` (both in
 * `domain/failures.ts`)
 * (a throttling 429 with `nextRetryDelay` from `Retry-After`), so Temporal's retry policy
 * does the retrying — there is no retry loop under it.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { maskText } from '../domain/destination';
import { FailureTypes, RetryableFailureTypes } from '../domain/failures';
import { InfobipError, InfobipHttpError } from '../infobip/errors';

/** Details attached to every failure translated from an `InfobipError` (no PIN, no destination). */
export interface InfobipFailureDetails {
  code: string;
  call: string;
  status?: number;
  messageId?: string;
  requestId?: string;
  retryAfterMs?: number;
  mayHaveReachedServer: boolean;
}

/** Options of the translation. */
export interface TranslateOptions {
  /** A 429 asking to wait longer than this is treated as a send limit (non-retryable). @default 60000 */
  maxRetryAfterMs?: number;
}

const SEND_LIMIT = /sendPinPer|send\s*pin\s*per|per\s+(phone\s*)?number|per\s+application|per\s+destination/i;
const DISABLED = /disabled/i;

/** Whether a 429 is about a send limit (per number or per application) rather than request rate. */
export function isSendLimit(err: InfobipHttpError): boolean {
  const texts = [err.text ?? '', ...err.validationErrors.map((v) => `${v.property} ${v.message}`)];
  return texts.some((t) => SEND_LIMIT.test(t));
}

function detailsOf(err: InfobipError): InfobipFailureDetails {
  const d: InfobipFailureDetails = {
    code: err.code,
    call: err.call,
    mayHaveReachedServer: err.mayHaveReachedServer,
  };
  if (err instanceof InfobipHttpError) {
    d.status = err.status;
    if (err.messageId) d.messageId = err.messageId;
    if (err.requestId) d.requestId = err.requestId;
    if (err.retryAfterMs !== undefined) d.retryAfterMs = err.retryAfterMs;
  }
  return d;
}

function failure(
  err: InfobipError,
  type: string,
  nonRetryable: boolean,
  nextRetryDelay?: number,
): ApplicationFailure {
  return ApplicationFailure.create({
    // Infobip's texts may echo a destination; failure messages land in workflow history.
    message: maskText(err.message),
    type,
    nonRetryable,
    details: [detailsOf(err)],
    nextRetryDelay,
  });
}

function fromHttp(err: InfobipHttpError, opts: TranslateOptions): ApplicationFailure {
  const { status } = err;
  if (status === 429) {
    const maxWait = opts.maxRetryAfterMs ?? 60_000;
    if (isSendLimit(err) || (err.retryAfterMs !== undefined && err.retryAfterMs > maxWait)) {
      return failure(err, FailureTypes.RATE_LIMITED, true);
    }
    // Retry-After: 0 means "now"; Temporal rejects a zero delay, so use the smallest one.
    const delay = err.retryAfterMs === undefined ? undefined : Math.max(err.retryAfterMs, 1);
    return failure(err, RetryableFailureTypes.THROTTLED, false, delay);
  }
  if (status === 408) return failure(err, RetryableFailureTypes.TIMEOUT, false);
  if (status >= 500) return failure(err, RetryableFailureTypes.SERVER_ERROR, false);
  if (status === 401 || status === 403) return failure(err, FailureTypes.UNAUTHORIZED, true);
  if (status === 404) return failure(err, FailureTypes.NOT_FOUND, true);
  if (status === 400 && DISABLED.test(err.text ?? ''))
    return failure(err, FailureTypes.APPLICATION_DISABLED, true);
  return failure(err, FailureTypes.BAD_REQUEST, true);
}

/**
 * Turns anything an activity caught into what it should throw: the cancellation when the
 * activity was cancelled, an `ApplicationFailure` for Infobip errors, the error itself otherwise.
 */
export function toTemporalFailure(err: unknown, opts: TranslateOptions = {}): unknown {
  const signal = currentSignal();
  if (signal?.aborted) {
    return signal.reason instanceof CancelledFailure
      ? signal.reason
      : new CancelledFailure('Activity cancelled');
  }
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof InfobipError)) return err;
  switch (err.code) {
    case 'INFOBIP_HTTP':
      return fromHttp(err as InfobipHttpError, opts);
    case 'INFOBIP_TIMEOUT':
      return failure(err, RetryableFailureTypes.TIMEOUT, false);
    case 'INFOBIP_BAD_RESPONSE':
      return failure(err, RetryableFailureTypes.BAD_RESPONSE, false);
    case 'INFOBIP_INVALID_ARGUMENT':
      return failure(err, FailureTypes.INVALID_DESTINATION, true);
    case 'INFOBIP_NETWORK':
    case 'INFOBIP_ABORTED':
      return failure(err, RetryableFailureTypes.NETWORK, false);
  }
}

/** The cancellation signal of the running activity, if there is one. */
export function currentSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** A non-retryable failure of otpflow's own making (configuration, input). */
export function permanent(type: string, message: string, ...details: unknown[]): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type, ...details);
}
