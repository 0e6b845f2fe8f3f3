/**
 * `application/problem+json` answers (RFC 9457) of the HTTP API. Each problem has a stable
 * `type` URI that clients match on; the mapping from library errors lives here only.
 */
import type { FastifyReply } from 'fastify';
import { isLibraryError, OtpErrorCodes } from '../client/errors';

/** Base of every problem type URI. */
export const PROBLEM_BASE = 'https://otpflow.dev/problems/';

/** The API's problem types: HTTP status and title of each. */
export const ProblemTypes = {
  'invalid-input': { status: 400, title: 'Invalid input' },
  unauthorized: { status: 401, title: 'Missing or wrong API key' },
  forbidden: { status: 403, title: 'Not allowed for this API key' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'already-finished': { status: 409, title: 'Verification already finished' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'destination-locked': { status: 429, title: 'Destination locked' },
  internal: { status: 500, title: 'Internal error' },
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
        ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
      });
    case OtpErrorCodes.DESTINATION_LOCKED:
      return problem('destination-locked', err.message, {
        lockedUntil: err.lockedUntil,
        retryAfterSeconds: err.retryAfterSeconds,
      });
    case OtpErrorCodes.CHECK_UNAVAILABLE:
      return problem('check-unavailable', err.message, { retryAfterSeconds: 1 });
    case OtpErrorCodes.TEMPORAL_UNREACHABLE:
      return problem('temporal-unavailable', 'Temporal cannot be reached; try again.');
  }
}
