/**
 * JSON schemas of the HTTP API. Fastify validates requests and serialises responses with
 * them, and `@fastify/swagger` builds `/openapi.json` from the very same objects.
 */
import { CHANNELS, DELIVERY_STATUSES, VERIFICATION_STATUSES } from '../domain/types';
import { CALLER_ID_PATTERN, MAX_VERIFICATION_ID_LENGTH } from '../domain/constants';
import { MAX_DESTINATION_LENGTH } from '../domain/destination';
import { REASONS } from '../domain/reasons';
import { PAGE_TOKEN_PATTERN } from '../client/list';

const STATUS_ENUM = [...VERIFICATION_STATUSES];
const CHANNEL_ENUM = [...CHANNELS];
const REASON_CODES = Object.keys(REASONS);

/** Verification IDs: derived (`otp-login-…`) and caller-chosen alike. */
const ID_PATTERN = `^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_VERIFICATION_ID_LENGTH - 1}}$`;
/** An e-mail address, as `domain/destination.ts` checks it more closely. */
const EMAIL_PATTERN = String.raw`^[^\s@"<>()\[\]\\,;:]{1,64}@[A-Za-z0-9.-]{1,189}$`;
/**
 * A phone number as people type it (digits, spaces, dashes, dots, parentheses, a leading +
 * or 00) or an e-mail address. Whether a number exists is libphonenumber's call: a number of
 * the right form that no country has answers 400 invalid-input, saying why.
 */
const TO_PATTERN = `^(?:\\+?[0-9 ().-]{3,40}|${EMAIL_PATTERN.slice(1, -1)})$`;
/** Codes as people type them: letters and digits, spaces and dashes dropped before the check. */
const CODE_PATTERN = '^[0-9A-Za-z][0-9A-Za-z -]{0,63}$';
const id = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_VERIFICATION_ID_LENGTH,
  pattern: ID_PATTERN,
} as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

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
      id: {
        type: 'string',
        description:
          'A start that sent no PIN (rate-limited, undeliverable, send-failed, send-unavailable): the verification, which ended.',
      },
      reasonCode: {
        type: 'string',
        enum: REASON_CODES,
        description:
          'Why no PIN was sent: a stable code (e.g. SEND_LIMIT, NUMBER_UNKNOWN, INFOBIP_UNAVAILABLE).',
      },
      variable: {
        type: 'string',
        description: "misconfigured: the API's environment variable that differs from the workers'.",
      },
    },
    required: ['type', 'title', 'status'],
  },
  {
    $id: 'Verification',
    type: 'object',
    description: 'A verification; never the destination in clear, never the PIN.',
    properties: {
      id,
      status: { type: 'string', enum: STATUS_ENUM },
      reason: { type: 'string', description: 'Why it ended, in a plain sentence.' },
      reasonCode: { type: 'string', enum: REASON_CODES, description: 'Why it ended, as a stable code.' },
      application: { type: 'string' },
      channel: { type: 'string', enum: CHANNEL_ENUM },
      destination: { type: 'string', description: 'Masked, e.g. +41•••••6727.' },
      attemptsRemaining: { type: 'integer', minimum: 0 },
      resendsRemaining: { type: 'integer', minimum: 0 },
      expiresAt: dateTime,
      nextResendAt: dateTime,
      lastCheck: { $ref: 'CheckResult#', description: 'Outcome of the last code check, if any.' },
      delivery: {
        type: 'object',
        description: "Delivery of the newest message, from Infobip's delivery reports.",
        properties: {
          channel: { type: 'string', enum: CHANNEL_ENUM },
          status: {
            type: 'string',
            enum: ['PENDING', 'UNTRACKED', ...DELIVERY_STATUSES],
            description:
              'PENDING until its report came; UNTRACKED when none can come (e-mail, tracking off).',
          },
          reason: {
            type: 'string',
            description: "Infobip's error or status name, e.g. EC_ABSENT_SUBSCRIBER.",
          },
          at: { ...dateTime, description: 'When Infobip finished with the message.' },
        },
        required: ['channel', 'status'],
      },
      lockedUntil: {
        ...dateTime,
        description:
          'While a LOCKED verification keeps its destination locked: until when new starts are refused.',
      },
      startedAt: dateTime,
      closedAt: dateTime,
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
      attemptsRemaining: { type: 'integer', minimum: 0 },
    },
    required: ['status', 'verified', 'attemptsRemaining'],
  },
  {
    $id: 'VerificationSummary',
    type: 'object',
    description: 'One row of a list: never the destination.',
    properties: {
      id,
      status: { type: 'string', enum: STATUS_ENUM },
      application: { type: 'string' },
      channel: { type: 'string', enum: CHANNEL_ENUM },
      startedAt: dateTime,
      closedAt: dateTime,
    },
    required: ['id', 'status', 'application', 'channel', 'startedAt'],
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

/** What an operator's block or unblock names: the application, the prefix, why and who. */
const GUARD_TARGET = {
  application: { type: 'string', minLength: 1, maxLength: 64 },
  prefix: PREFIX,
  reason: { type: 'string', minLength: 1, maxLength: 200 },
  operator: OPERATOR,
} as const;

/** Body of `POST /v1/guard/block`. */
export const blockBody = {
  type: 'object',
  additionalProperties: false,
  required: ['prefix', 'reason'],
  properties: {
    ...GUARD_TARGET,
    seconds: { type: 'integer', minimum: 1, maximum: 2_592_000, description: 'How long. Default 3600.' },
  },
} as const;

/** Body of `POST /v1/guard/unblock`. */
export const unblockBody = {
  type: 'object',
  additionalProperties: false,
  required: ['prefix'],
  properties: GUARD_TARGET,
} as const;

/** Body of `POST /v1/verifications`. */
export const startBody = {
  type: 'object',
  additionalProperties: false,
  required: ['to'],
  properties: {
    to: {
      type: 'string',
      minLength: 3,
      maxLength: MAX_DESTINATION_LENGTH,
      pattern: TO_PATTERN,
      description:
        'Phone number as typed (+41 79 302 67 27, 0041…, national where the application declares a defaultCountry), or an e-mail address for channel email.',
    },
    application: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'Optional when one application is declared.',
    },
    channel: { type: 'string', enum: ['sms', 'voice', 'email', 'SMS', 'VOICE', 'EMAIL'] },
    language: {
      type: 'string',
      pattern: '^[A-Za-z]{2,3}(?:[_-][A-Za-z]{2,4})?$',
      description:
        "Template language; one without a template uses the application's default (the answer says so).",
    },
    placeholders: {
      type: 'object',
      maxProperties: 20,
      additionalProperties: { type: 'string', maxLength: 200 },
    },
    email: {
      type: 'string',
      maxLength: MAX_DESTINATION_LENGTH,
      pattern: EMAIL_PATTERN,
      description: 'Address for an EMAIL fallback step.',
    },
    id: {
      type: 'string',
      maxLength: MAX_VERIFICATION_ID_LENGTH,
      pattern: CALLER_ID_PATTERN.source,
      description: `Your own verification ID (at most ${MAX_VERIFICATION_ID_LENGTH} characters); by default derived from application and destination.`,
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
    id,
    status: {
      type: 'string',
      enum: STATUS_ENUM,
      description:
        'PENDING; LOOKUP or SENDING when no worker answered in time. A start that sent no PIN is a problem, never 200/201.',
    },
    channel: { type: 'string', enum: CHANNEL_ENUM },
    destination: { type: 'string', description: 'Masked.' },
    expiresAt: dateTime,
    created: { type: 'boolean', description: 'False when an existing pending verification was returned.' },
    language: { type: 'string', description: 'Language of the template used.' },
    requestedLanguage: {
      type: 'string',
      description:
        'Present when the language asked for had no template and `language` (the default) was used.',
    },
  },
  required: ['id', 'status', 'channel', 'destination', 'created', 'language'],
} as const;

/** Body of `POST /v1/verifications/{id}/check`. */
export const checkBody = {
  type: 'object',
  additionalProperties: false,
  required: ['code'],
  properties: {
    code: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      pattern: CODE_PATTERN,
      description:
        "The code the person typed; spaces and dashes are dropped, its length and alphabet are the application's PIN's.",
    },
  },
} as const;

/** Answer of an accepted resend. */
export const resendResponse = {
  type: 'object',
  properties: {
    id,
    status: { type: 'string', enum: STATUS_ENUM },
    channel: { type: 'string', enum: CHANNEL_ENUM },
    resendsRemaining: { type: 'integer', minimum: 0 },
    nextResendAt: dateTime,
  },
  required: ['id', 'status', 'channel', 'resendsRemaining'],
} as const;

/**
 * `{id}` path parameter. No length bound here: an ID longer than the limit names no
 * verification, so it is answered 404 like any unknown ID, after authentication.
 */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id },
} as const;

/** Query of `GET /v1/verifications`. Query values are strings: `limit` too. */
export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: STATUS_ENUM },
    application: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' },
    channel: { type: 'string', enum: CHANNEL_ENUM },
    limit: {
      type: 'string',
      pattern: '^(?:1000|[1-9][0-9]{0,2})$',
      description: 'Rows per page, 1–1000 (default 50).',
    },
    pageToken: {
      type: 'string',
      minLength: 1,
      maxLength: 4033,
      pattern: PAGE_TOKEN_PATTERN.source,
      description: 'nextPageToken of the previous page.',
    },
  },
} as const;

/** Answer of `GET /v1/verifications`. */
export const listResponse = {
  type: 'object',
  properties: {
    verifications: { type: 'array', items: { $ref: 'VerificationSummary#' } },
    nextPageToken: { type: 'string', description: 'Present when more rows follow: pass it as pageToken.' },
  },
  required: ['verifications'],
} as const;

/** Answers of `/healthz` and `/readyz`. */
export const healthResponse = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ok', 'ready'] } },
  required: ['status'],
} as const;

/** A documented error answer: `application/problem+json` with the Problem schema. */
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
});

/** Error answers every authenticated route can give. */
export const commonErrors = {
  400: problemResponse('Invalid input (problem type invalid-input; `field` names it).'),
  401: {
    ...problemResponse('Missing or wrong API key.'),
    headers: { 'WWW-Authenticate': { schema: { type: 'string', enum: ['Bearer'] } } },
  },
  429: {
    ...problemResponse(
      "Refused for now (rate-limited with `reason` and `retryAfterSeconds`, or destination-locked with `lockedUntil`): API_KEY for this key's rate limit on any route; the abuse guard's reasons on a start; COOLDOWN, MAX_RESENDS, RATE_LIMITED on a resend.",
    ),
    headers: { 'Retry-After': { schema: { type: 'integer' }, required: false } },
  },
  503: problemResponse('Temporal or Infobip unreachable; nothing changed.'),
};

/** What a start answers when its flow ended before a PIN went out (each carries `id` and `reasonCode`). */
export const startRefusals = {
  422: problemResponse(
    'undeliverable: the destination cannot get a PIN (Number Lookup, or Infobip did not deliver); retrying will not help.',
  ),
  429: problemResponse("rate-limited: Infobip's send limit was reached; Retry-After when Infobip said when."),
  500: problemResponse(
    "misconfigured: the API's OTPFLOW_DESTINATION_HASH_KEY differs from the workers'; nothing was sent.",
  ),
  502: problemResponse(
    'send-failed: Infobip refused the send, or its answers were lost; retrying will not help.',
  ),
  503: problemResponse(
    'send-unavailable (Infobip unreachable, Retry-After), or Temporal unreachable; nothing sent.',
  ),
};

/** Error answers of the routes that take a body. */
export const bodyErrors = {
  413: problemResponse('Body larger than the limit.'),
  415: problemResponse('The body is not application/json.'),
};

/**
 * A copy of a body or query schema whose `application` lists the declared applications, so the
 * document says which names a start or a list accepts.
 */
export function withApplications<T extends { properties: { application: object } }>(
  schema: T,
  names: readonly string[],
): T {
  if (names.length === 0) return schema;
  return {
    ...schema,
    properties: { ...schema.properties, application: { ...schema.properties.application, enum: [...names] } },
  };
}
