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
import { NOT_FOUND_PROBLEM, problem, problemFor, sendProblem } from './problems';
import {
  checkBody,
  commonErrors,
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

/** Builds the API server (not yet listening). */
export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const logger = options.logger ?? false;
  const app = Fastify({
    ...(typeof logger === 'boolean' ? { logger } : { loggerInstance: logger }),
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }) as unknown as FastifyInstance;

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

  // Empty bodies are fine for resend and cancel, even with a JSON content type.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') done(null, undefined);
    else void parseJson(req, body as string, done);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) return sendProblem(reply, validationProblem(err));
    const known = problemFor(err);
    if (known) return sendProblem(reply, known);
    if (err.statusCode === 413)
      return sendProblem(
        reply,
        problem('payload-too-large', `The body must be at most ${app.initialConfig.bodyLimit} bytes.`),
      );
    if (err.statusCode === 415)
      return sendProblem(reply, problem('unsupported-media-type', 'Send application/json.'));
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendProblem(reply, problem('invalid-input', `body: ${err.message}`, { field: 'body' }));
    }
    req.log.error({ err }, 'request failed');
    return sendProblem(reply, problem('internal', 'Something went wrong; it was logged.'));
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
        if (!req.otp)
          return sendProblem(reply, problem('unauthorized', 'Send Authorization: Bearer <API key>.'));
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
            body: startBody,
            security,
            response: { 200: startResponse, 201: startResponse, ...commonErrors },
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
              'A wrong code answers 200 with verified=false. A finished verification answers 409 already-finished with verificationStatus.',
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
            description: 'During the cooldown: 429 rate-limited with Retry-After.',
            ...withId,
            response: {
              200: resendResponse,
              404: { $ref: 'Problem#' },
              409: { $ref: 'Problem#' },
              429: { $ref: 'Problem#' },
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
