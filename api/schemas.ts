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
  {
    $id: 'PrefixBlock',
    type: 'object',
    description: 'A destination prefix the abuse guard refuses starts to, why, and until when.',
    properties: {
      prefix: { type: 'string', description: 'E.164 prefix, e.g. +44791.' },
      rule: { type: 'string', enum: ['CONVERSION', 'SPIKE', 'MANUAL'] },
      since: { type: 'string', format: 'date-time' },
      until: { type: 'string', format: 'date-time', description: 'When the block lifts by itself.' },
      reason: { type: 'string', description: "The rule's figures in a sentence, or the operator's reason." },
      sends: { type: 'integer' },
      verified: { type: 'integer' },
      conversion: { type: 'number' },
      windowSeconds: { type: 'integer' },
      baseline: { type: 'number' },
      by: { type: 'string', description: 'Who blocked it by hand.' },
      liftedAt: { type: 'string', format: 'date-time' },
      liftedBy: { type: 'string' },
      liftReason: { type: 'string' },
    },
    required: ['prefix', 'rule', 'since', 'until', 'reason'],
  },
  {
    $id: 'GuardView',
    type: 'object',
    description:
      "An application's abuse guard: blocks, prefixes over their velocity limit, the busiest prefixes.",
    properties: {
      application: { type: 'string' },
      at: { type: 'string', format: 'date-time' },
      blocks: { type: 'array', items: { $ref: 'PrefixBlock#' } },
      limited: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            prefix: { type: 'string' },
            sends: { type: 'integer' },
            max: { type: 'integer' },
            windowSeconds: { type: 'integer' },
            until: { type: 'string', format: 'date-time' },
          },
          required: ['prefix', 'sends', 'max', 'windowSeconds', 'until'],
        },
      },
      prefixes: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            prefix: { type: 'string' },
            sends: { type: 'integer' },
            verified: { type: 'integer' },
            conversion: { type: 'number' },
            recentSends: { type: 'integer' },
            baseline: { type: 'number' },
          },
          required: ['prefix', 'sends', 'verified', 'recentSends', 'baseline'],
        },
      },
      lifted: { type: 'array', items: { $ref: 'PrefixBlock#' } },
    },
    required: ['application', 'at', 'blocks', 'limited', 'prefixes', 'lifted'],
  },
] as const;

const PREFIX = {
  type: 'string',
  pattern: '^\\+?[1-9][0-9]{0,10}$',
  description: 'E.164 prefix, e.g. +44791.',
} as const;
const OPERATOR = {
  type: 'string',
  minLength: 1,
  maxLength: 60,
  description: 'Who asks (recorded with the key that asked).',
} as const;

/** Query of `GET /v1/guard`. */
export const guardQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { application: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** Body of `POST /v1/guard/block`. */
export const blockBody = {
  type: 'object',
  additionalProperties: false,
  required: ['prefix', 'reason'],
  properties: {
    application: { type: 'string', minLength: 1, maxLength: 64 },
    prefix: PREFIX,
    seconds: { type: 'integer', minimum: 1, maximum: 2_592_000, description: 'How long. Default 3600.' },
    reason: { type: 'string', minLength: 1, maxLength: 200 },
    operator: OPERATOR,
  },
} as const;

/** Body of `POST /v1/guard/unblock`. */
export const unblockBody = {
  type: 'object',
  additionalProperties: false,
  required: ['prefix'],
  properties: {
    application: { type: 'string', minLength: 1, maxLength: 64 },
    prefix: PREFIX,
    reason: { type: 'string', minLength: 1, maxLength: 200 },
    operator: OPERATOR,
  },
} as const;

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
    clientIp: {
      type: 'string',
      minLength: 2,
      maxLength: 45,
      description:
        "The end user's IP address, for the application's per-client-IP velocity limit (kept only as a keyed hash).",
    },
    sessionId: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: "The end user's session, for the per-session velocity limit (kept only as a keyed hash).",
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
  429: problem(
    "Refused for now, with Retry-After: rate-limited (`reason` says which limit: API_KEY for this key's rate limit; the abuse guard's on a start; COOLDOWN, MAX_RESENDS, RATE_LIMITED on a resend) or destination-locked.",
  ),
  503: problem('Temporal or Infobip unreachable; nothing changed.'),
};
