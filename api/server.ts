/**
 * The HTTP API on fastify: verifications over `OtpClient`, bearer API keys, JSON-schema
 * validation with named fields, `application/problem+json` errors, `/openapi.json` from the
 * same schemas, `/healthz` and `/readyz`.
 */
import { createHash } from 'node:crypto';
import { bearerToken, createKeyMatcher } from '../config/api-keys';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import type { OtpClient } from '../client/otp-client';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  DELIVERY_REPORTS_PATH,
  registerDeliveryReports,
  type DeliveryReportIngressOptions,
} from './delivery-reports';
import { ApiMetrics } from './metrics';
import { MAX_VERIFICATION_ID_LENGTH } from '../domain/constants';
import { registerGuardRoutes } from './guard-routes';
import { NOT_FOUND_PROBLEM, problem, problemFor, rawProblemResponse, sendProblem } from './problems';
import { createRateLimiter, type RateLimitOptions } from './rate-limit';
import {
  bodyErrors,
  checkBody,
  commonErrors,
  startRefusals,
  healthResponse,
  idParams,
  listQuery,
  listResponse,
  problemResponse,
  resendResponse,
  sharedSchemas,
  startBody,
  startResponse,
  withApplications,
} from './schemas';

/** Methods a route may be called with; any other on a known path answers 405. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'QUERY'] as const;
/** The API's paths and their methods (HEAD comes with GET). */
const ROUTES: Record<string, readonly string[]> = {
  '/healthz': ['GET', 'HEAD'],
  '/readyz': ['GET', 'HEAD'],
  '/openapi.json': ['GET', 'HEAD'],
  '/v1/verifications': ['GET', 'HEAD', 'POST'],
  '/v1/verifications/:id': ['GET', 'HEAD'],
  '/v1/verifications/:id/check': ['POST'],
  '/v1/verifications/:id/resend': ['POST'],
  '/v1/verifications/:id/cancel': ['POST'],
  '/v1/guard': ['GET', 'HEAD'],
  '/v1/guard/block': ['POST'],
  '/v1/guard/unblock': ['POST'],
};

/** An API key, optionally limited to some applications (a tenant). */
export interface ApiKey {
  key: string;
  /** Applications this key may start and see; absent: all applications of the client. */
  applications?: string[];
  /** May also read and change the abuse guard (`/v1/guard`). @default false */
  admin?: boolean;
}

/** Options of `createApiServer`. */
export interface ApiServerOptions {
  otp: OtpClient;
  /** Accepted bearer keys. No keys: every /v1 request is refused. */
  apiKeys: (string | ApiKey)[];
  /** A pino logger, `true` for fastify's default, or `false`. @default false */
  logger?: FastifyBaseLogger | boolean;
  /** Whether Temporal is reachable, for `/readyz`. @default always ready */
  ready?: () => Promise<boolean>;
  /** Largest request body in bytes. @default 16384 */
  bodyLimit?: number;
  /**
   * The delivery-report ingress (`POST /v1/delivery-reports`, see `delivery-reports.ts`).
   * Absent: the route does not exist.
   */
  deliveryReports?: DeliveryReportIngressOptions;
  /** Counters served at `GET /metrics`. @default a new set */
  metrics?: ApiMetrics;
  /**
   * Per-key rate limit of this instance (a token bucket per key; see `rate-limit.ts`).
   * `otpflow api` sets it from `OTPFLOW_API_RATE_LIMIT`. @default off
   */
  rateLimit?: RateLimitOptions;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The client scoped to the caller's API key (set by the auth hook). */
    otp: OtpClient | null;
    /** The caller's key: whether it is an admin key, and a label for records (`key:<fingerprint>`). */
    caller: { admin: boolean; label: string } | null;
  }
}

/** What a key grants. */
interface Grant {
  otp: OtpClient;
  admin: boolean;
  label: string;
  key: string;
}

/** A label that names a key in records without revealing it: `key:` and 8 hex digits of its SHA-256. */
export function keyLabel(key: string): string {
  return `key:${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

const UNAUTHORIZED = problem('unauthorized', 'Send Authorization: Bearer <API key>.');
const INTERNAL_DETAIL = 'Something went wrong; it was logged.';

interface IdRequest {
  Params: { id: string };
}

/** Field name and message of the first schema violation, e.g. `to` / `must be string`. */
function validationProblem(err: FastifyError) {
  const first = err.validation?.[0];
  const context = err.validationContext ?? 'body';
  if (!first) return problem('invalid-input', err.message, { field: context });
  const path = first.instancePath.split('/').filter(Boolean).join('.');
  const params = first.params as Record<string, unknown>;
  let field = path || context;
  let message = first.message ?? 'is invalid';
  if (first.keyword === 'required') {
    field = [path, String(params.missingProperty)].filter(Boolean).join('.');
    message = 'is required';
  } else if (first.keyword === 'additionalProperties') {
    field = [path, String(params.additionalProperty)].filter(Boolean).join('.');
    message = 'is not an accepted field';
  } else if (first.keyword === 'enum') {
    const values = new Set((params.allowedValues as unknown[]).map((v) => String(v).toLowerCase()));
    message = `must be one of ${[...values].join(', ')}`;
  }
  return problem('invalid-input', `${field}: ${message}`, { field });
}

/**
 * The problem for an error fastify itself raised, by its code (never its message): the
 * framework's own JSON envelope must not reach a caller. Undefined for anything else.
 */
function frameworkProblem(err: FastifyError, bodyLimit: number) {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('payload-too-large', `The body must be at most ${bodyLimit} bytes.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem('unsupported-media-type', 'Send application/json.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('invalid-input', 'body: is not valid JSON', { field: 'body' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem('malformed-request', 'The body does not have the length Content-Length announced.');
    case 'FST_ERR_BAD_URL':
      return problem('malformed-request', 'The URL is not validly percent-encoded.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // Longer than any verification ID can be: the same answer as a start with such an ID.
      return problem(
        'invalid-input',
        `id: must NOT have more than ${MAX_VERIFICATION_ID_LENGTH} characters`,
        {
          field: 'id',
        },
      );
    case 'FST_ERR_NOT_FOUND':
      return problem('not-found', 'No such route.');
  }
  // JSON the parser refused for what it holds (a `__proto__` key) rather than its syntax.
  if (err instanceof SyntaxError && err.statusCode === 400)
    return problem('invalid-input', 'body: is not acceptable JSON', { field: 'body' });
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return problem('malformed-request', 'The request could not be read.');
  return undefined;
}

/**
 * Answers a request Node's HTTP parser refused before fastify saw it (headers too large, a
 * timeout, malformed HTTP) with a problem, written straight to the socket.
 */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const body =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? problem('headers-too-large', 'The request headers are too large.')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? problem('request-timeout', 'The request took too long to arrive.')
        : problem('malformed-request', 'The request is not valid HTTP/1.1.');
  if (socket.writable) socket.write(rawProblemResponse(body));
  socket.destroy(err);
}

/**
 * Answers what Node's HTTP server handles before fastify when nobody listens: a CONNECT (Node
 * would drop the connection without a word) and an `Expect` other than 100-continue (Node
 * would answer an empty 417).
 */
function answerOutsideFastify(server: Server): void {
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    const body = problem('malformed-request', 'This server is not a proxy: CONNECT is not supported.');
    socket.end(rawProblemResponse(body));
  });
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify(problem('expectation-failed', 'Only Expect: 100-continue is supported.'));
    res.writeHead(417, { 'content-type': 'application/problem+json; charset=utf-8', connection: 'close' });
    res.end(body);
  });
}

/** Builds the API server (not yet listening). */
export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const logger = options.logger ?? false;
  const bodyLimit = options.bodyLimit ?? 16 * 1024;
  // Each key maps to the client it may use: all applications, or a tenant's.
  const matchKey = createKeyMatcher<Grant>(
    options.apiKeys.map((k) => {
      const { key, applications, admin } = typeof k === 'string' ? { key: k } : k;
      const otp = applications ? options.otp.forApplications(applications) : options.otp;
      return { key, value: { otp, admin: admin === true, label: keyLabel(key), key } };
    }),
  );
  const authenticate = (req: FastifyRequest): Grant | null => {
    const token = bearerToken(req.headers.authorization);
    return (token === undefined ? undefined : matchKey(token)) ?? null;
  };
  const limit = createRateLimiter(options.rateLimit ?? { perSecond: 0, burst: 1 });

  const app = Fastify({
    ...(typeof logger === 'boolean' ? { logger } : { loggerInstance: logger }),
    bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Every verification ID reaches the routes, percent-encoded or not; anything longer is
    // answered by `frameworkErrors` below, after authentication, never by fastify's own 414.
    routerOptions: { maxParamLength: 3 * MAX_VERIFICATION_ID_LENGTH },
    frameworkErrors: (err, req, reply) => {
      if (req.url.startsWith('/v1/') && !authenticate(req)) return sendProblem(reply, UNAUTHORIZED);
      return sendProblem(reply, frameworkProblem(err, bodyLimit) ?? problem('internal', INTERNAL_DETAIL));
    },
    clientErrorHandler: answerClientError,
  }) as unknown as FastifyInstance;
  answerOutsideFastify(app.server);

  // Empty bodies are fine for resend and cancel, even with a JSON content type. JSON.parse
  // keeps `__proto__` and `constructor` as plain data (own properties, no prototype change);
  // the schemas then refuse them as unknown fields by name.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(
        Object.assign(new Error('is not valid JSON'), {
          statusCode: 400,
          code: 'FST_ERR_CTP_INVALID_JSON_BODY',
        }),
        undefined,
      );
    }
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) return sendProblem(reply, validationProblem(err));
    const known = problemFor(err) ?? frameworkProblem(err, bodyLimit);
    if (known) return sendProblem(reply, known);
    req.log.error({ err }, 'request failed');
    return sendProblem(reply, problem('internal', INTERNAL_DETAIL));
  });
  app.setNotFoundHandler((_req, reply) => sendProblem(reply, problem('not-found', 'No such route.')));

  for (const schema of sharedSchemas) app.addSchema(schema as unknown as Record<string, unknown>);
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'otpflow API',
        version: '1',
        description: 'Durable one-time-PIN verifications. Errors are application/problem+json.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer' },
          basicAuth: { type: 'http', scheme: 'basic', description: "Infobip's delivery-report pushes" },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  // Registered after swagger so that the document lists them (a plugin runs in order).
  void app.register(async (root) => {
    root.get(
      '/healthz',
      { schema: { summary: 'Liveness: the process answers', response: { 200: healthResponse } } },
      async () => ({ status: 'ok' }),
    );
    root.get(
      '/readyz',
      {
        schema: {
          summary: 'Readiness: Temporal is reachable',
          response: { 200: healthResponse, 503: problemResponse('Temporal cannot be reached.') },
        },
      },
      async (_req, reply) => {
        const ready = options.ready ? await options.ready().catch(() => false) : true;
        if (!ready) return sendProblem(reply, problem('temporal-unavailable', 'Temporal cannot be reached.'));
        return { status: 'ready' as const };
      },
    );
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  const metrics = options.metrics ?? new ApiMetrics();
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/plain; version=0.0.4').send(metrics.render()),
  );
  // In a plugin after swagger, so that the document lists it.
  const ingress = options.deliveryReports;
  if (ingress) void app.register(async (root) => registerDeliveryReports(root, ingress, metrics));

  // A known path with another method: 405 with Allow, whoever asks (no key needed to learn
  // it), answered before a body is read so no body rule can answer first.
  const routes = ingress ? { ...ROUTES, [DELIVERY_REPORTS_PATH]: ['POST'] } : ROUTES;
  for (const [url, allowed] of Object.entries(routes)) {
    const use = allowed.filter((m) => m !== 'HEAD').join(' or ');
    app.route({
      method: METHODS.filter((m) => !allowed.includes(m)),
      url,
      schema: { hide: true },
      onRequest: async (req, reply) => {
        reply.header('allow', allowed.join(', '));
        return sendProblem(
          reply,
          problem('method-not-allowed', `${req.method} is not allowed here; use ${use}.`),
        );
      },
      handler: async () => undefined,
    });
  }

  void app.register(
    async (v1) => {
      v1.decorateRequest('otp', null);
      v1.decorateRequest('caller', null);
      v1.addHook('onRequest', async (req, reply) => {
        const grant = authenticate(req);
        if (!grant) return sendProblem(reply, UNAUTHORIZED);
        const wait = limit(grant.key);
        if (wait > 0) {
          return sendProblem(
            reply,
            problem('rate-limited', `too many requests for this API key, retry in ${wait} s`, {
              reason: 'API_KEY',
              retryAfterSeconds: wait,
            }),
          );
        }
        req.otp = grant.otp;
        req.caller = { admin: grant.admin, label: grant.label };
      });
      const security = [{ bearerAuth: [] }];
      const withId = { params: idParams, security };
      const otpOf = (req: FastifyRequest) => req.otp as OtpClient;

      v1.post<{
        Body: {
          to: string;
          application?: string;
          channel?: string;
          language?: string;
          placeholders?: Record<string, string>;
          email?: string;
          id?: string;
          clientIp?: string;
          sessionId?: string;
        };
      }>(
        '/verifications',
        {
          schema: {
            summary: 'Start a verification (or return the pending one for the same destination)',
            description:
              '201 when a PIN went out, 200 when a pending verification was returned. A start whose verification ended before a PIN went out answers a problem with the verification `id` and a `reasonCode`: 429 rate-limited (Infobip send limit), 422 undeliverable, 502 send-failed, 503 send-unavailable, 500 misconfigured (this API uses another destination-hash key than the workers). The abuse guard answers 429 before anything is sent: destination-locked (a verification of this destination ended LOCKED within its lockout; lockedUntil) or rate-limited (reason DESTINATION_VELOCITY, PREFIX_VELOCITY, CLIENT_IP_VELOCITY, SESSION_VELOCITY or PREFIX_BLOCKED), both with Retry-After.',
            body: withApplications(startBody, options.otp.applicationNames),
            security,
            response: {
              200: {
                ...startResponse,
                description: 'A verification for this destination was pending: nothing was sent.',
              },
              201: { ...startResponse, description: 'Started: a PIN went out.' },
              ...commonErrors,
              ...bodyErrors,
              ...startRefusals,
            },
          },
        },
        async (req, reply) => {
          const r = await otpOf(req).start(req.body);
          return reply
            .code(r.created ? 201 : 200)
            .header('location', `/v1/verifications/${encodeURIComponent(r.id)}`)
            .send(r);
        },
      );

      v1.get<{
        Querystring: {
          status?: string;
          application?: string;
          channel?: string;
          limit?: string;
          pageToken?: string;
        };
      }>(
        '/verifications',
        {
          schema: {
            summary: 'List verifications, newest first (never destinations)',
            description: 'Filters by status, application and channel; pages with limit and nextPageToken.',
            querystring: withApplications(listQuery, options.otp.applicationNames),
            security,
            response: { 200: listResponse, ...commonErrors },
          },
        },
        async (req) => {
          const { limit, ...filter } = req.query;
          return otpOf(req).listPage({ ...filter, ...(limit !== undefined ? { limit: Number(limit) } : {}) });
        },
      );

      v1.get<IdRequest>(
        '/verifications/:id',
        {
          schema: {
            summary: 'Read a verification',
            ...withId,
            response: {
              200: { $ref: 'Verification#' },
              404: problemResponse('No verification with this ID for this key.'),
              ...commonErrors,
            },
          },
        },
        async (req) => otpOf(req).status(req.params.id),
      );

      v1.post<IdRequest & { Body: { code: string } }>(
        '/verifications/:id/check',
        {
          schema: {
            summary: 'Check the code a person typed',
            description:
              'A wrong code answers 200 with verified=false and the attempts left; the wrong code that uses the last attempt answers 200 LOCKED, the right one 200 VERIFIED. A check that finds the verification already finished (queued behind the check that finished it, or arriving later) answers 409 already-finished with verificationStatus; nothing is checked.',
            ...withId,
            body: checkBody,
            response: {
              200: { $ref: 'CheckResult#' },
              404: problemResponse('No verification with this ID for this key.'),
              409: problemResponse('Already finished (already-finished, verificationStatus).'),
              ...commonErrors,
              ...bodyErrors,
            },
          },
        },
        async (req) => otpOf(req).check(req.params.id, req.body.code),
      );

      v1.post<IdRequest>(
        '/verifications/:id/resend',
        {
          schema: {
            summary: 'Send the code again',
            description:
              'During the cooldown: 429 rate-limited with Retry-After. When Infobip does not take the new PIN: 502 send-failed, or 503 send-unavailable when it could not be reached (the earlier PIN stays valid).',
            ...withId,
            response: {
              200: resendResponse,
              404: problemResponse('No verification with this ID for this key.'),
              409: problemResponse('Already finished (already-finished, verificationStatus).'),
              502: problemResponse(
                'Infobip did not take the new PIN (send-failed, reasonCode); the earlier one stays valid.',
              ),
              ...commonErrors,
              ...bodyErrors,
              429: {
                ...problemResponse(
                  'Resend refused for now (rate-limited, reason, retryAfterSeconds), or the API key over its rate limit (API_KEY).',
                ),
                headers: { 'Retry-After': { schema: { type: 'integer' }, required: false } },
              },
            },
          },
        },
        async (req) => ({ id: req.params.id, ...(await otpOf(req).resend(req.params.id)) }),
      );

      v1.post<IdRequest>(
        '/verifications/:id/cancel',
        {
          schema: {
            summary: 'Cancel a verification',
            ...withId,
            response: {
              200: { $ref: 'Verification#' },
              404: problemResponse('No verification with this ID for this key.'),
              409: problemResponse('Already finished otherwise (already-finished, verificationStatus).'),
              ...commonErrors,
              ...bodyErrors,
            },
          },
        },
        async (req) => otpOf(req).cancel(req.params.id, 'cancelled through the API'),
      );

      registerGuardRoutes(v1, security);
    },
    { prefix: '/v1' },
  );

  return app;
}

export { NOT_FOUND_PROBLEM };
