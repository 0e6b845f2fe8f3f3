/**
 * The HTTP API on fastify: verifications over `OtpClient`, bearer API keys, JSON-schema
 * validation with named fields, `application/problem+json` errors, `/openapi.json` from the
 * same schemas, `/healthz` and `/readyz`.
 */
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
import { MAX_VERIFICATION_ID_LENGTH } from '../domain/constants';
import { NOT_FOUND_PROBLEM, problem, problemFor, rawProblemResponse, sendProblem } from './problems';
import {
  checkBody,
  commonErrors,
  startRefusals,
  idParams,
  resendResponse,
  sharedSchemas,
  startBody,
  startResponse,
} from './schemas';

/** An API key, optionally limited to some applications (a tenant). */
export interface ApiKey {
  key: string;
  /** Applications this key may start and see; absent: all applications of the client. */
  applications?: string[];
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
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The client scoped to the caller's API key (set by the auth hook). */
    otp: OtpClient | null;
  }
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
      // Longer than any verification ID can be.
      return NOT_FOUND_PROBLEM;
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
  const matchKey = createKeyMatcher(
    options.apiKeys.map((k) =>
      typeof k === 'string'
        ? { key: k, value: options.otp }
        : { key: k.key, value: k.applications ? options.otp.forApplications(k.applications) : options.otp },
    ),
  );
  const authenticate = (req: FastifyRequest): OtpClient | null => {
    const token = bearerToken(req.headers.authorization);
    return (token === undefined ? undefined : matchKey(token)) ?? null;
  };

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

  // Empty bodies are fine for resend and cancel, even with a JSON content type.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') done(null, undefined);
    else void parseJson(req, body as string, done);
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
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ready = options.ready ? await options.ready().catch(() => false) : true;
    if (!ready) return sendProblem(reply, problem('temporal-unavailable', 'Temporal cannot be reached.'));
    return { status: 'ready' };
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  void app.register(
    async (v1) => {
      v1.decorateRequest('otp', null);
      v1.addHook('onRequest', async (req, reply) => {
        req.otp = authenticate(req);
        if (!req.otp) return sendProblem(reply, UNAUTHORIZED);
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
        };
      }>(
        '/verifications',
        {
          schema: {
            summary: 'Start a verification (or return the pending one for the same destination)',
            description:
              '201 when a PIN went out, 200 when a pending verification was returned. A start whose verification ended before a PIN went out answers a problem with the verification `id` and a `reasonCode`: 429 rate-limited (Infobip send limit), 422 undeliverable, 502 send-failed, 503 send-unavailable.',
            body: startBody,
            security,
            response: { 200: startResponse, 201: startResponse, ...commonErrors, ...startRefusals },
          },
        },
        async (req, reply) => {
          const { to, ...rest } = req.body;
          const r = await otpOf(req).start({ destination: to, ...rest });
          return reply
            .code(r.created ? 201 : 200)
            .header('location', `/v1/verifications/${encodeURIComponent(r.id)}`)
            .send(r);
        },
      );

      v1.get<IdRequest>(
        '/verifications/:id',
        {
          schema: {
            summary: 'Read a verification',
            ...withId,
            response: { 200: { $ref: 'Verification#' }, 404: { $ref: 'Problem#' }, ...commonErrors },
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
              404: { $ref: 'Problem#' },
              409: { $ref: 'Problem#' },
              ...commonErrors,
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
              404: { $ref: 'Problem#' },
              409: { $ref: 'Problem#' },
              429: { $ref: 'Problem#' },
              502: { $ref: 'Problem#' },
              ...commonErrors,
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
              404: { $ref: 'Problem#' },
              409: { $ref: 'Problem#' },
              ...commonErrors,
            },
          },
        },
        async (req) => otpOf(req).cancel(req.params.id, 'cancelled through the API'),
      );
    },
    { prefix: '/v1' },
  );

  return app;
}

export { NOT_FOUND_PROBLEM };
