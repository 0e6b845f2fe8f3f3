/**
 * Test kit for suites that talk to the emulator: a small HTTP client that validates every
 * answer against Infobip's OpenAPI schemas, and helpers to set up an application and template.
 * Uses ajv and the trimmed copy of Infobip's OpenAPI documents (v3.210.0) in `emulator/openapi/`
 * (`scripts/trim-infobip-openapi.ts` remakes it from the published documents).
 */
// Answers are schema-checked at run time; `any` keeps assertions in tests short.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { matchRoute } from '../../emulator/routes';
import { DEFAULT_API_KEY } from '../../emulator';

/** Where the trimmed copies of Infobip's OpenAPI documents (`2fa.json`, `number-lookup.json`) are. */
export const OPENAPI_DIR = path.resolve(__dirname, '../../emulator/openapi');

type Json = Record<string, unknown>;

/** Thrown when an answer does not match the OpenAPI schema of its operation. */
export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';
  readonly code = 'EMULATOR_SCHEMA_MISMATCH';
}

function tighten(node: unknown): void {
  // Infobip's schemas allow any extra property; forbidding them makes a misspelt field fail.
  if (Array.isArray(node)) return node.forEach(tighten);
  if (!node || typeof node !== 'object') return;
  const obj = node as Json;
  // Older copies of the error details schema omit `validationErrors`, which the main envelope
  // (and Infobip's docs) include; accept it wherever the envelope appears.
  if (
    obj.title === 'ApiRequestErrorDetails' &&
    obj.properties &&
    !(obj.properties as Json).validationErrors
  ) {
    (obj.properties as Json).validationErrors = {
      type: 'object',
      additionalProperties: { type: 'array', items: { type: 'string' } },
    };
  }
  if (obj.properties && obj.type === 'object' && obj.additionalProperties === undefined)
    obj.additionalProperties = false;
  for (const v of Object.values(obj)) tighten(v);
}

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Validates emulator answers against the response schemas of Infobip's OpenAPI documents. */
export class OpenApiValidator {
  private readonly ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true, logger: false });
  private readonly docs: Array<{ id: string; doc: Json }> = [];
  private readonly cache = new Map<string, ValidateFunction | null>();

  constructor(dir = OPENAPI_DIR) {
    for (const file of ['2fa.json', 'number-lookup.json']) {
      const doc = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Json;
      tighten(doc.components);
      this.ajv.addSchema(doc, file);
      this.docs.push({ id: file, doc });
    }
  }

  /** The validator for an operation's answer with this status; null if the documents have none. */
  validatorFor(method: string, template: string, status: number): ValidateFunction | null {
    const key = `${method} ${template} ${status}`;
    if (this.cache.has(key)) return this.cache.get(key) ?? null;
    let found: ValidateFunction | null = null;
    for (const { id, doc } of this.docs) {
      const op = ((doc.paths as Json)[template] as Json | undefined)?.[method.toLowerCase()] as
        Json | undefined;
      if (!op) continue;
      const responses = op.responses as Json;
      const code = [String(status), `${String(status)[0]}XX`].find((c) => responses[c]);
      let pointer: string;
      if (code) {
        const ref = (responses[code] as Json).$ref as string | undefined;
        pointer = ref
          ? `${ref}/content/application~1json/schema`
          : `#/paths/${escape(template)}/${method.toLowerCase()}/responses/${code}/content/application~1json/schema`;
      } else if (status >= 400) pointer = '#/components/schemas/ApiException';
      else throw new SchemaMismatchError(`${method} ${template} documents no ${status} answer`);
      found = this.ajv.compile({ $ref: `${id}${pointer}` });
    }
    this.cache.set(key, found);
    return found;
  }

  /** Throws SchemaMismatchError unless `body` matches the documented answer. */
  assertValid(method: string, template: string, status: number, body: unknown): void {
    const validate = this.validatorFor(method, template, status);
    if (!validate)
      throw new SchemaMismatchError(`${method} ${template} is not in Infobip's OpenAPI documents`);
    if (!validate(body)) {
      throw new SchemaMismatchError(
        `${method} ${template} ${status} does not match its schema: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
      );
    }
  }
}

/** An answer: status, headers and parsed JSON body (text if not JSON). */
export interface CallResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Options of `emulatorClient`. */
export interface EmulatorClientOptions {
  /** API key sent as `Authorization: App <key>`; null sends no Authorization. @default 'otpflow-dev-key' */
  apiKey?: string | null;
  /** Validate every Infobip API answer against the OpenAPI schemas. @default a shared validator */
  validator?: OpenApiValidator | null;
}

let shared: OpenApiValidator | undefined;

/** A minimal client for the emulator; each call validates the answer unless `validator: null`. */
export function emulatorClient(baseUrl: string, options: EmulatorClientOptions = {}) {
  const apiKey = options.apiKey === undefined ? DEFAULT_API_KEY : options.apiKey;
  const validator = options.validator === undefined ? (shared ??= new OpenApiValidator()) : options.validator;
  async function call<T = any>(
    method: string,
    urlPath: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<CallResult<T>> {
    const h: Record<string, string> = { Accept: 'application/json', ...headers };
    if (apiKey !== null && !('Authorization' in h)) h.Authorization = `App ${apiKey}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['Content-Type'] ??= 'application/json';
    }
    const res = await fetch(baseUrl + urlPath, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const pathname = urlPath.split('?')[0] ?? urlPath;
    const template = matchRoute(method, pathname).route?.template;
    if (validator && template) validator.assertValid(method, template, res.status, parsed);
    return { status: res.status, headers: res.headers, body: parsed as T };
  }
  return {
    call,
    get: <T = any>(p: string) => call<T>('GET', p),
    post: <T = any>(p: string, body?: unknown) => call<T>('POST', p, body),
    put: <T = any>(p: string, body?: unknown) => call<T>('PUT', p, body),
    delete: <T = any>(p: string) => call<T>('DELETE', p),
  };
}

/** The client type returned by `emulatorClient`. */
export type EmulatorClient = ReturnType<typeof emulatorClient>;

/** Creates an application (with `configuration`) and an SMS/voice template; returns their ids. */
export async function createAppWithTemplate(
  client: EmulatorClient,
  configuration: Json = {},
  template: Json = { messageText: 'Your code is {{pin}}', pinType: 'NUMERIC', pinLength: 6 },
): Promise<{ applicationId: string; messageId: string }> {
  const app = await client.post('/2fa/2/applications', { name: 'test app', configuration });
  if (app.status !== 201)
    throw new Error(`create application answered ${app.status}: ${JSON.stringify(app.body)}`);
  const applicationId = app.body.applicationId as string;
  const msg = await client.post(`/2fa/2/applications/${applicationId}/messages`, template);
  if (msg.status !== 200)
    throw new Error(`create template answered ${msg.status}: ${JSON.stringify(msg.body)}`);
  return { applicationId, messageId: msg.body.messageId as string };
}

/** One request a report receiver got. */
export interface ReceivedReport {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body, parsed as JSON (the raw text when it is not JSON). */
  body: any;
  /** HTTP status the receiver answered. */
  answered: number;
}

/** A webhook that records the delivery reports the emulator pushes (see `startReportReceiver`). */
export interface ReportReceiver {
  /** Base URL, e.g. `http://127.0.0.1:40123`; reports may go to any path below it. */
  url: string;
  /** Requests received, oldest first. */
  received: ReceivedReport[];
  /** Reports (entries of `results`) received for one `messageId`, in arrival order. */
  reportsFor(messageId: string): any[];
  /** Sets how the next requests are answered (a status per request); default 200. */
  answerWith(status: (request: { path: string; n: number }) => number): void;
  close(): Promise<void>;
}

/** Starts a loopback HTTP server that records delivery-report pushes and answers 200 (or as told). */
export async function startReportReceiver(): Promise<ReportReceiver> {
  const received: ReceivedReport[] = [];
  let answer: (r: { path: string; n: number }) => number = () => 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const path = req.url ?? '/';
      const status = answer({ path, n: received.length });
      received.push({ path, headers: req.headers, body, answered: status });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    reportsFor: (messageId) =>
      received
        .flatMap((r) => (Array.isArray(r.body?.results) ? r.body.results : []))
        .filter((x: any) => x?.messageId === messageId),
    answerWith(fn) {
      answer = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
