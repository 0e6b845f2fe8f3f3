/** Dispatch of Infobip API requests: stats, faults, body limit, authentication, routing, envelopes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  InfobipApiError,
  defaultTextFor,
  errorBody,
  messageIdFor,
  notFound,
  badRequest,
  type RateLimitEnvelope,
} from './errors';
import { matchRoute, type RouteMatch } from './routes';
import { collectBody, sendJson } from './http-util';
import type { EmulatorContext } from './context';
import type { FaultAction, Faults } from './faults';

const NO_QUERY = new URLSearchParams();

/** Settings of the API dispatcher. */
export interface ApiServerOptions {
  ctx: EmulatorContext;
  faults: Faults;
  stats: Map<string, number>;
  apiKeys: ReadonlySet<string>;
  rateLimitEnvelope: RateLimitEnvelope;
  maxBodyBytes: number;
}

/**
 * Accepts `App <key>`, and `Basic base64(user:key)` where the password part is an accepted key
 * (the user name is ignored: Infobip's Basic uses account credentials, which the emulator has none of).
 */
export function isAuthorized(header: string | undefined, keys: ReadonlySet<string>): boolean {
  if (!header) return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const credentials = header.slice(space + 1).trim();
  if (scheme === 'app') return keys.has(credentials);
  if (scheme === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && keys.has(decoded.slice(colon + 1));
  }
  return false;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`Malformed JSON in request body: ${(err as Error).message}`);
  }
}

/** Builds the handler for every non-/emulator request. */
export function createApiHandler(opts: ApiServerOptions) {
  const { ctx, faults, stats, apiKeys, rateLimitEnvelope, maxBodyBytes } = opts;

  const answerError = (
    res: ServerResponse,
    err: InfobipApiError,
    requestId: string,
    headers?: Record<string, string>,
  ) => sendJson(res, err.status, errorBody(err, rateLimitEnvelope), requestId, headers);

  return (
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    search: string,
    requestId: string,
    fail: (err: unknown) => void,
  ): void => {
    const method = req.method ?? 'GET';
    const match = matchRoute(method, pathname);
    const key = match.route?.key ?? 'UNMATCHED';
    stats.set(key, (stats.get(key) ?? 0) + 1);

    const fault = faults.pick(method, pathname, match.template);
    if (fault && 'reset' in fault) {
      req.socket.destroy();
      return;
    }
    const read = () =>
      collectBody(req, maxBodyBytes, (body) => {
        // Runs from an event callback: nothing may escape, or the process would crash.
        try {
          answer(req, res, method, pathname, search, requestId, match, fault, body);
        } catch (err) {
          fail(err);
        }
      });
    try {
      if (fault && 'latencyMs' in fault) setTimeout(read, fault.latencyMs);
      else read();
    } catch (err) {
      fail(err);
    }
  };

  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    pathname: string,
    search: string,
    requestId: string,
    match: RouteMatch,
    fault: FaultAction | undefined,
    body: Buffer | null,
  ): void {
    if (fault && 'status' in fault) {
      const err = new InfobipApiError(fault.status, messageIdFor(fault.status), defaultTextFor(fault.status));
      const headers =
        fault.retryAfter === undefined ? undefined : { 'Retry-After': String(fault.retryAfter) };
      answerError(res, err, requestId, headers);
      return;
    }

    let status: number;
    let payload: unknown;
    try {
      if (body === null)
        throw new InfobipApiError(
          413,
          'BAD_REQUEST',
          `Request body too large: the limit is ${maxBodyBytes} bytes`,
        );
      if (!isAuthorized(req.headers.authorization, apiKeys))
        throw new InfobipApiError(401, 'UNAUTHORIZED', 'Invalid login details');
      if (!match.route) {
        throw notFound(
          match.template
            ? `${method} is not supported on ${match.template}`
            : `Unknown path: ${method} ${pathname}`,
        );
      }
      const reply = match.route.handler(ctx, {
        params: match.params,
        query: search === '' ? NO_QUERY : new URLSearchParams(search),
        body: parseJson(body),
      });
      status = reply.status;
      payload = reply.body;
    } catch (err) {
      const apiErr =
        err instanceof InfobipApiError ? err : new InfobipApiError(500, 'GENERAL_ERROR', defaultTextFor(500));
      if (!(err instanceof InfobipApiError))
        process.emitWarning(
          `otpflow emulator: ${method} ${pathname} failed: ${(err as Error)?.stack ?? String(err)}`,
        );
      status = apiErr.status;
      payload = errorBody(apiErr, rateLimitEnvelope);
    }
    if (fault && 'dropResponse' in fault) {
      req.socket.destroy();
      return;
    }
    sendJson(res, status, payload, requestId);
  }
}
