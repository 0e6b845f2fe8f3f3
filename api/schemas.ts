/**
 * JSON schemas of the HTTP API. Fastify validates requests and serialises responses with
 * them, and `@fastify/swagger` builds `/openapi.json` from the very same objects.
 */
import { CHANNELS, VERIFICATION_STATUSES } from '../domain/types';
import { CALLER_ID_PATTERN, MAX_VERIFICATION_ID_LENGTH } from '../domain/constants';
import { MAX_DESTINATION_LENGTH } from '../domain/destination';

const STATUS_ENUM = [...VERIFICATION_STATUSES];
const CHANNEL_ENUM = [...CHANNELS];

/** Shared schemas, registered with `app.addSchema` and referenced as `<$id>#`. */
export const sharedSchemas = [
  {
    $id: 'Problem',
    type: 'object',
    description: 'An RFC 9457 problem: every error of this API.',
    properties: {
      type: { type: 'string', format: 'uri', description: 'Stable problem type; match on it.' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      field: { type: 'string', description: 'invalid-input: the request field at fault.' },
      verificationStatus: {
        type: 'string',
        enum: STATUS_ENUM,
        description: 'already-finished: final status.',
      },
      retryAfterSeconds: {
        type: 'integer',
        description:
          'rate-limited, destination-locked: seconds until a retry can succeed (also in Retry-After).',
      },
      reason: {
        type: 'string',
        description:
          'rate-limited: why. Resends: COOLDOWN, MAX_RESENDS, RATE_LIMITED (Infobip). Starts (the abuse guard): DESTINATION_VELOCITY, PREFIX_VELOCITY, CLIENT_IP_VELOCITY, SESSION_VELOCITY, PREFIX_BLOCKED. Any request: API_KEY (the per-key rate limit).',
      },
      lockedUntil: {
        type: 'string',
        format: 'date-time',
        description: 'destination-locked: when a new verification of the destination may start.',
      },
    },
    required: ['type', 'title', 'status'],
  },
  {
    $id: 'Verification',
    type: 'object',
    description: 'A verification; never the destination in clear, never the PIN.',
    properties: {
      id: { type: 'string' },
      status: { type: 'string', enum: STATUS_ENUM },
      reason: { type: 'string' },
      application: { type: 'string' },
      channel: { type: 'string', enum: CHANNEL_ENUM },
      destination: { type: 'string', description: 'Masked, e.g. +41•••••6727.' },
      attemptsRemaining: { type: 'integer' },
      resendsRemaining: { type: 'integer' },
      expiresAt: { type: 'string', format: 'date-time' },
      nextResendAt: { type: 'string', format: 'date-time' },
      lastCheck: { $ref: 'CheckResult#' },
      lockedUntil: {
        type: 'string',
        format: 'date-time',
        description:
          'While a LOCKED verification keeps its destination locked: until when new starts are refused.',
      },
      startedAt: { type: 'string', format: 'date-time' },
      closedAt: { type: 'string', format: 'date-time' },
      timeline: {
        type: 'array',
        items: { type: 'object', additionalProperties: true, properties: { kind: { type: 'string' } } },
      },
    },
    required: ['id', 'status', 'application', 'channel', 'destination', 'startedAt'],
  },
  {
    $id: 'CheckResult',
    type: 'object',
    properties: {
      status: { type: 'string', enum: STATUS_ENUM },
      verified: { type: 'boolean' },
      attemptsRemaining: { type: 'integer' },
    },
    required: ['status', 'verified', 'attemptsRemaining'],
  },
] as const;

/** Body of `POST /v1/verifications`. */
export const startBody = {
  type: 'object',
  additionalProperties: false,
  required: ['to'],
  properties: {
    to: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_DESTINATION_LENGTH,
      description: 'E.164 phone number (+41793026727), or an e-mail address for channel email.',
    },
    application: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'Optional when one application is declared.',
    },
    channel: { type: 'string', enum: ['sms', 'voice', 'email', 'SMS', 'VOICE', 'EMAIL'] },
    language: { type: 'string', minLength: 2, maxLength: 5 },
    placeholders: {
      type: 'object',
      maxProperties: 20,
      additionalProperties: { type: 'string', maxLength: 200 },
    },
    email: {
      type: 'string',
      maxLength: MAX_DESTINATION_LENGTH,
      description: 'Address for an EMAIL fallback step.',
    },
    id: {
      type: 'string',
      pattern: CALLER_ID_PATTERN.source,
      description: 'Your own verification ID; by default derived from application and destination.',
    },
  },
} as const;

/** Answer of `POST /v1/verifications`. */
export const startResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: STATUS_ENUM },
    reason: { type: 'string' },
    channel: { type: 'string', enum: CHANNEL_ENUM },
    destination: { type: 'string', description: 'Masked.' },
    expiresAt: { type: 'string', format: 'date-time' },
    created: { type: 'boolean', description: 'False when an existing pending verification was returned.' },
  },
  required: ['id', 'status', 'channel', 'destination', 'created'],
} as const;

/** Body of `POST /v1/verifications/{id}/check`. */
export const checkBody = {
  type: 'object',
  additionalProperties: false,
  required: ['code'],
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 64, description: 'The code the person typed.' },
  },
} as const;

/** Answer of an accepted resend. */
export const resendResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: STATUS_ENUM },
    channel: { type: 'string', enum: CHANNEL_ENUM },
    resendsRemaining: { type: 'integer' },
    nextResendAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'status', 'channel', 'resendsRemaining'],
} as const;

/** `{id}` path parameter. */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: MAX_VERIFICATION_ID_LENGTH } },
} as const;

const problem = (description: string) => ({ description, $ref: 'Problem#' });

/** Error answers every authenticated route can give. */
export const commonErrors = {
  400: problem('Invalid input (problem type invalid-input; `field` names it).'),
  401: problem('Missing or wrong API key.'),
  413: problem('Body larger than the limit.'),
  503: problem('Temporal or Infobip unreachable; nothing changed.'),
};
