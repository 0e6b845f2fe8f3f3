/** Translation of Temporal client errors into the library's typed errors (see `errors.ts`). */
import {
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ConfigError } from '../config/errors';
import {
  ATTACHED,
  CHECK_UNAVAILABLE,
  CLOSING,
  DESTINATION_LOCKED,
  INVALID_INPUT,
  NOT_PENDING,
  RESEND_FAILED,
  UNENCRYPTED,
} from '../domain/failures';
import { TERMINAL_STATUSES, type StartAnswer, type VerificationStatus } from '../domain/types';
import { REASONS, RETRYABLE_REASONS, type ReasonCode } from '../domain/reasons';
import {
  CheckUnavailableError,
  DestinationLockedError,
  InvalidInputError,
  OtpError,
  SendFailedError,
  TemporalUnreachableError,
  VerificationFinishedError,
} from './errors';

const CHECK_UNAVAILABLE_SENTENCE = 'Infobip could not check the code now; no attempt was counted, try again';

/** gRPC status codes that mean "the server is not there" rather than "the server said no". */
const UNREACHABLE_GRPC = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);
const RESOURCE_EXHAUSTED = 8;
const UNAVAILABLE = 14;

function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** True when `err` says Temporal could not be reached. */
export function isUnreachable(err: unknown): boolean {
  const code = grpcCode(err);
  if (code !== undefined && UNREACHABLE_GRPC.has(code)) return true;
  const text =
    err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : '';
  return /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|Failed to connect|connection refused|transport error/i.test(
    text,
  );
}

/** The ApplicationFailure a workflow's update validator or handler failed with, if that is what `err` is. */
function updateFailure(err: unknown): ApplicationFailure | undefined {
  return err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure
    ? err.cause
    : undefined;
}

/** The answer a start that attached to a running flow got from the flow's validator, if `err` is that. */
export function attachedAnswer(err: unknown): StartAnswer | undefined {
  const failure = updateFailure(err);
  return failure?.type === ATTACHED ? (failure.details?.[0] as StartAnswer | undefined) : undefined;
}

/**
 * True when a start should simply be made again: Temporal refused a further Update on the
 * flow (at most ten run at once per flow) or asked to retry (it aborts an Update when it
 * reloads the flow's state; or it is not reachable), or the flow reached its outcome and is
 * closing (then the next start starts a new one), or it closed between the start and its
 * Update. The client's own gRPC retries usually absorb the first two before they get here.
 */
export function startMayRetry(err: unknown): boolean {
  const code = grpcCode(err);
  return (
    code === RESOURCE_EXHAUSTED ||
    code === UNAVAILABLE ||
    updateFailure(err)?.type === CLOSING ||
    err instanceof WorkflowNotFoundError
  );
}

/** True when the workflow an Update reached has no handler for it (another kind of workflow). */
function isUnknownUpdate(err: unknown): boolean {
  return updateFailure(err)?.message.startsWith('No registered handler for update') === true;
}

/**
 * True when a start got no answer although it may have started the flow: no worker answered
 * in time, or Temporal kept asking to try again until the deadline.
 */
export function startAnswerMissing(err: unknown): boolean {
  return (
    startMayRetry(err) ||
    isUnknownUpdate(err) ||
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    grpcCode(err) === 4 /* DEADLINE_EXCEEDED */
  );
}

/**
 * A payload this client cannot read because of its keys: encrypted while it has none
 * (Temporal's "Unknown encoding: binary/encrypted"), or under a key it lacks. That is a
 * configuration error, said plainly, not an internal one.
 */
function keyProblem(err: unknown): ConfigError | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (/Unknown encoding: binary\/encrypted/.test(e.message)) {
      return new ConfigError([
        {
          path: 'OTPFLOW_ENCRYPTION_KEYS',
          message: 'is not set, but the verifications are encrypted: set it to the keys the workers use',
        },
      ]);
    }
    const code = (e as { code?: unknown }).code;
    if (code === 'CODEC_UNKNOWN_KEY' || code === 'CODEC_DECRYPT_FAILED')
      return new ConfigError([{ path: 'OTPFLOW_ENCRYPTION_KEYS', message: e.message }]);
  }
  return undefined;
}

/** Whether `err` is this client failing to read a payload because of its encryption keys. */
export function unreadableEncryption(err: unknown): boolean {
  return keyProblem(err) !== undefined;
}

/** What a flow answers to a caller that sent its payloads unencrypted while the workers encrypt. */
function unencryptedRefused(): ConfigError {
  return new ConfigError([
    {
      path: 'OTPFLOW_ENCRYPTION_KEYS',
      message:
        'is not set, but the workers encrypt and refused this request: set it to the keys the workers use',
    },
  ]);
}

/**
 * Maps an error from a Temporal call on verification `id` to the library's errors (and a
 * missing or wrong encryption key to a `ConfigError`); returns errors it does not recognise
 * unchanged.
 */
export function translateTemporalError(err: unknown, id: string): unknown {
  if (err instanceof OtpError) return err;
  const keys = keyProblem(err);
  if (keys) return keys;
  const failure = updateFailure(err);
  if (failure) {
    const details = (failure.details ?? []) as unknown[];
    switch (failure.type) {
      case NOT_PENDING: {
        const status = (details[0] as VerificationStatus | undefined) ?? 'FAILED';
        // Still looking up or sending: nothing to check yet, which is not an ending.
        if (!TERMINAL_STATUSES.includes(status)) {
          return new CheckUnavailableError(
            `the verification is ${status}: no code went out yet; try again shortly`,
          );
        }
        return new VerificationFinishedError(id, status);
      }
      case INVALID_INPUT: {
        const field = typeof details[0] === 'string' ? details[0] : 'code';
        const reason = typeof details[1] === 'string' ? details[1] : failure.message;
        return new InvalidInputError(field, reason);
      }
      case UNENCRYPTED:
        return unencryptedRefused();
      case CHECK_UNAVAILABLE:
        // A sentence of our own: an older worker put Infobip's words (and a pinId) in the message.
        return new CheckUnavailableError(CHECK_UNAVAILABLE_SENTENCE);
      case RESEND_FAILED: {
        const code =
          typeof details[0] === 'string' && details[0] in REASONS
            ? (details[0] as ReasonCode)
            : 'INFOBIP_UNAVAILABLE';
        return new SendFailedError(
          id,
          code,
          RETRYABLE_REASONS.includes(code),
          `the PIN could not be sent again: ${REASONS[code]}`,
        );
      }
      case DESTINATION_LOCKED: {
        const until = (details[0] as { lockedUntil?: unknown } | undefined)?.lockedUntil;
        if (typeof until === 'string') return new DestinationLockedError(until, id);
        break;
      }
    }
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new CheckUnavailableError('no worker answered in time; nothing was counted, try again');
  }
  if ((err instanceof ServiceError || err instanceof Error) && isUnreachable(err)) {
    return new TemporalUnreachableError(`Temporal is unreachable: ${err.message}`, { cause: err });
  }
  return err;
}
