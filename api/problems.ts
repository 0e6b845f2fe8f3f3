/**
 * `application/problem+json` answers (RFC 9457) of the HTTP API. Each problem has a stable
 * `type` URI that clients match on; the mapping from library errors lives here only.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { isLibraryError, OtpErrorCodes } from '../client/errors';

/** Base of every problem type URI. */
export const PROBLEM_BASE = 'https://otpflow.dev/problems/';

/** The API's problem types: HTTP status and title of each. */
export const ProblemTypes = {
  'invalid-input': { status: 400, title: 'Invalid input' },
  'malformed-request': { status: 400, title: 'Malformed request' },
  unauthorized: { status: 401, title: 'Missing or wrong API key' },
  forbidden: { status: 403, title: 'Not allowed for this API key' },
  'not-found': { status: 404, title: 'Not found' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'already-finished': { status: 409, title: 'Verification already finished' },
  'expectation-failed': { status: 417, title: 'Expectation failed' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'destination-locked': { status: 429, title: 'Destination locked' },
  'headers-too-large': { status: 431, title: 'Request headers too large' },
  undeliverable: { status: 422, title: 'Destination cannot get a PIN' },
  internal: { status: 500, title: 'Internal error' },
  misconfigured: { status: 500, title: "Configuration does not match the workers'" },
  'send-failed': { status: 502, title: 'Infobip did not take the PIN' },
  'send-unavailable': { status: 503, title: 'Infobip unreachable; no PIN sent' },
  'check-unavailable': { status: 503, title: 'Code check unavailable' },
  'temporal-unavailable': { status: 503, title: 'Temporal unreachable' },
} as const;

export type ProblemType = keyof typeof ProblemTypes;

/** A problem body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

/** Builds a problem body of a known type. */
export function problem(
  type: ProblemType,
  detail?: string,
  extensions: Record<string, unknown> = {},
): Problem {
  const { status, title } = ProblemTypes[type];
  return { type: PROBLEM_BASE + type, title, status, ...(detail ? { detail } : {}), ...extensions };
}

/** Sends a problem (and `Retry-After` when it has `retryAfterSeconds`). */
export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  if (typeof body.retryAfterSeconds === 'number') reply.header('retry-after', String(body.retryAfterSeconds));
  if (body.status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(body.status).type('application/problem+json').send(body);
}

/**
 * A problem as a whole HTTP/1.1 response, for answers written straight to a socket (a request
 * Node could not even parse reaches no reply object).
 */
export function rawProblemResponse(body: Problem): string {
  const json = JSON.stringify(body);
  return [
    `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status] ?? 'Error'}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    'Connection: close',
    '',
    json,
  ].join('\r\n');
}

/** Request fields the API calls differently from the library. */
const API_FIELD: Record<string, string> = { destination: 'to' };

/** The same 404 for an unknown ID and an ID this caller may not see. */
export const NOT_FOUND_PROBLEM = problem('not-found', 'No verification with this ID.');

/** Maps a library error to a problem; undefined for errors that are bugs (answered 500). */
export function problemFor(err: unknown): Problem | undefined {
  if (!isLibraryError(err)) return undefined;
  switch (err.code) {
    case OtpErrorCodes.INVALID_INPUT: {
      const field = API_FIELD[err.field] ?? err.field;
      return problem('invalid-input', `${field}: ${err.reason}`, { field });
    }
    case OtpErrorCodes.UNKNOWN_VERIFICATION:
      return NOT_FOUND_PROBLEM;
    case OtpErrorCodes.ALREADY_FINISHED:
      return problem(
        'already-finished',
        `The verification already finished as ${err.status}; nothing was checked or sent.`,
        { verificationStatus: err.status },
      );
    case OtpErrorCodes.RATE_LIMITED:
      return problem('rate-limited', err.message, {
        reason: err.reason,
        ...(err.id ? { id: err.id, reasonCode: 'SEND_LIMIT' } : {}),
        ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
      });
    case OtpErrorCodes.DESTINATION_LOCKED:
      return problem('destination-locked', err.message, {
        lockedUntil: err.lockedUntil,
        retryAfterSeconds: err.retryAfterSeconds,
      });
    case OtpErrorCodes.UNDELIVERABLE:
      return problem('undeliverable', err.message, { id: err.id, reasonCode: err.reasonCode });
    case OtpErrorCodes.SEND_FAILED:
      return err.retryable
        ? problem('send-unavailable', err.message, {
            id: err.id,
            reasonCode: err.reasonCode,
            retryAfterSeconds: 5,
          })
        : problem('send-failed', err.message, { id: err.id, reasonCode: err.reasonCode });
    case OtpErrorCodes.MISCONFIGURED:
      // The API is the misconfigured client here: its operator must fix it, not the caller.
      return problem('misconfigured', err.message, { variable: err.variable });
    case OtpErrorCodes.CHECK_UNAVAILABLE:
      return problem('check-unavailable', err.message, { retryAfterSeconds: 1 });
    case OtpErrorCodes.TEMPORAL_UNREACHABLE:
      return problem('temporal-unavailable', 'Temporal cannot be reached; try again.');
  }
}
