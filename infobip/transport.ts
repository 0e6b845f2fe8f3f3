/**
 * The HTTP exchange under every Infobip call: one undici dispatcher per client (a keep-alive
 * `Pool` for the base URL unless the caller brings its own), timeouts, the caller's
 * `AbortSignal`, bodies always consumed, and every failure turned into an `InfobipError`.
 * No retries here: the caller (Temporal) owns retrying, with knowledge this layer lacks.
 */
import { Pool, type Dispatcher } from 'undici';
import {
  InfobipAbortedError,
  InfobipBadResponseError,
  InfobipHttpError,
  InfobipNetworkError,
  InfobipTimeoutError,
  type InfobipError,
  type InfobipViolation,
} from './errors';

/** Options of `createInfobipClient`. */
export interface InfobipClientOptions {
  /** Account base URL, e.g. `https://xyz.api.infobip.com` (a path prefix is kept). */
  baseUrl: string;
  /** API key, sent as `Authorization: App <apiKey>`. */
  apiKey: string;
  /** Milliseconds to open a TCP/TLS connection. Ignored when `dispatcher` is given. @default 5000 */
  connectTimeoutMs?: number;
  /** Milliseconds from sending the request to the answer's headers. @default 10000 */
  headersTimeoutMs?: number;
  /** Milliseconds allowed between two chunks of the answer's body. @default 10000 */
  bodyTimeoutMs?: number;
  /** Milliseconds an idle keep-alive connection is kept. Ignored with `dispatcher`. @default 4000 */
  keepAliveTimeoutMs?: number;
  /** Most connections to the base URL at once. Ignored with `dispatcher`. @default 16 */
  connections?: number;
  /** An undici dispatcher to use instead of the client's own pool (tests, proxies); not closed by `close()`. */
  dispatcher?: Dispatcher;
  /** `User-Agent` header. @default 'otpflow' */
  userAgent?: string;
}

/** Per-call options every operation takes. */
export interface CallOptions {
  /** Stops the call; the promise then rejects with `InfobipAbortedError`. */
  signal?: AbortSignal;
}

/** One request as the operations describe it. */
export interface ExchangeRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Path below the base URL, already encoded. */
  path: string;
  query?: Record<string, string | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

/** A successful answer. */
export interface ExchangeResponse<T> {
  status: number;
  data: T;
  requestId?: string;
}

const MAX_BODY_IN_ERROR = 2000;

/** Codes of failures that happen before a request can have been written. */
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
]);

/** Sends requests to one Infobip base URL. */
export class Transport {
  private readonly origin: string;
  private readonly basePath: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly headers: Record<string, string>;
  private readonly headersTimeout: number;
  private readonly bodyTimeout: number;

  constructor(options: InfobipClientOptions) {
    const url = new URL(options.baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.headersTimeout = options.headersTimeoutMs ?? 10_000;
    this.bodyTimeout = options.bodyTimeoutMs ?? 10_000;
    this.headers = {
      authorization: `App ${options.apiKey}`,
      accept: 'application/json',
      'user-agent': options.userAgent ?? 'otpflow',
    };
    if (options.dispatcher) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Pool(this.origin, {
        connections: options.connections ?? 16,
        connect: { timeout: options.connectTimeoutMs ?? 5_000 },
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
        headersTimeout: this.headersTimeout,
        bodyTimeout: this.bodyTimeout,
      });
      this.ownsDispatcher = true;
    }
  }

  /** Performs one exchange; resolves on 2xx, rejects with an `InfobipError` otherwise. */
  async exchange<T>(req: ExchangeRequest): Promise<ExchangeResponse<T>> {
    const call = `${req.method} ${req.path}`;
    if (req.signal?.aborted) throw new InfobipAbortedError(call, false, req.signal.reason);
    const headers: Record<string, string> = { ...this.headers };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await this.dispatcher.request({
        origin: this.origin,
        path: this.basePath + req.path + queryString(req.query),
        method: req.method,
        headers,
        body,
        signal: req.signal,
        headersTimeout: this.headersTimeout,
        bodyTimeout: this.bodyTimeout,
      });
    } catch (err) {
      throw transportError(call, err, req.signal);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      // The answer had started: Infobip certainly received the request.
      const mapped = transportError(call, err, req.signal);
      throw mapped.code === 'INFOBIP_TIMEOUT' ? new InfobipTimeoutError(call, 'body', err) : mapped;
    }
    const requestId = header(res.headers, 'x-request-id');
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw httpError(call, res.statusCode, text, res.headers);
    }
    if (text.trim() === '') return { status: res.statusCode, data: undefined as T, requestId };
    try {
      return { status: res.statusCode, data: JSON.parse(text) as T, requestId };
    } catch (err) {
      throw new InfobipBadResponseError(call, res.statusCode, requestId, (err as Error).message);
    }
  }

  /** Closes the client's own pool (waits for running requests); a borrowed dispatcher stays open. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}

function queryString(query: ExchangeRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Reads both Infobip error envelopes (legacy `requestError.serviceException` and `errorCode`). */
export function parseErrorBody(text: string): {
  messageId?: string;
  text?: string;
  validationErrors: InfobipViolation[];
} {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { text: text.trim().slice(0, 200) || undefined, validationErrors: [] };
  }
  if (!isRecord(json)) return { validationErrors: [] };
  const legacy = isRecord(json.requestError) ? json.requestError.serviceException : undefined;
  if (isRecord(legacy)) {
    const validationErrors: InfobipViolation[] = [];
    if (isRecord(legacy.validationErrors)) {
      for (const [property, messages] of Object.entries(legacy.validationErrors)) {
        for (const message of Array.isArray(messages) ? messages : [messages]) {
          validationErrors.push({ property, message: String(message) });
        }
      }
    }
    return { messageId: str(legacy.messageId), text: str(legacy.text), validationErrors };
  }
  if (typeof json.errorCode === 'string') {
    const violations = Array.isArray(json.violations) ? json.violations : [];
    return {
      messageId: json.errorCode,
      text: str(json.description) ?? str(json.action),
      validationErrors: violations.filter(isRecord).map((v) => ({
        property: str(v.property) ?? '',
        message: str(v.violation) ?? str(v.message) ?? '',
      })),
    };
  }
  return { validationErrors: [] };
}

function httpError(
  call: string,
  status: number,
  text: string,
  headers: Dispatcher.ResponseData['headers'],
): InfobipHttpError {
  const parsed = parseErrorBody(text);
  return new InfobipHttpError({
    call,
    status,
    ...parsed,
    requestId: header(headers, 'x-request-id'),
    retryAfterMs: parseRetryAfter(header(headers, 'retry-after')),
    body: text.slice(0, MAX_BODY_IN_ERROR),
  });
}

/** Maps an undici or system error to an `InfobipError`, deciding whether Infobip may have seen the request. */
export function transportError(call: string, err: unknown, signal?: AbortSignal): InfobipError {
  if (signal?.aborted) return new InfobipAbortedError(call, true, err);
  const code = errorCode(err);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new InfobipTimeoutError(call, 'connect', err);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new InfobipTimeoutError(call, 'headers', err);
    case 'UND_ERR_BODY_TIMEOUT':
      return new InfobipTimeoutError(call, 'body', err);
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return new InfobipAbortedError(call, true, err);
    default:
      return new InfobipNetworkError(call, code, !(code && NOT_CONNECTED_CODES.has(code)), err);
  }
}

function errorCode(err: unknown): string | undefined {
  if (!isRecord(err)) return undefined;
  if (typeof err.code === 'string') return err.code;
  // Happy-eyeballs connects fail with an AggregateError of one error per address.
  if (err instanceof AggregateError) return errorCode(err.errors[0]);
  if (err instanceof Error && err.name === 'AbortError') return 'ABORT_ERR';
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
