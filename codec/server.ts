/**
 * Codec server: lets the Temporal Web UI (and `temporal … --codec-endpoint`) show encrypted
 * payloads in clear to authorised operators. `POST /decode`, `POST /encode`, proto-JSON bodies.
 */
import { bearerToken, createKeyMatcher } from '../config/api-keys';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { fromJsonPayloads, PayloadJsonError, toJsonPayloads } from './payload-json';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Bearer keys accepted in `Authorization`; empty or absent: no authentication (loopback dev only). */
  apiKeys?: string[];
  /** Browser origins allowed to call (the Web UI's, e.g. `http://localhost:8233`); `*` allows any. */
  corsOrigins: string[];
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** Largest request body in bytes. @default 4 MiB (Temporal's gRPC message limit) */
  bodyLimit?: number;
  /** Called with failures worth an operator's attention (never with payload content). */
  onError?: (err: Error) => void;
}

export interface CodecServer {
  /** Base URL, e.g. `http://127.0.0.1:8888`. */
  url: string;
  close(): Promise<void>;
}

/** Starts the codec server; resolves once it listens. */
export async function createCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const keys = options.apiKeys ?? [];
  const matchKey = createKeyMatcher(keys.map((key) => ({ key, value: true as const })));
  const limit = options.bodyLimit ?? 4 * 1024 * 1024;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.onError?.(err as Error);
      if (!res.headersSent) send(res, 500, { error: 'codec failure' });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    cors(req, res, options.corsOrigins);
    const url = new URL(req.url ?? '/', 'http://codec');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    // Behind a reverse proxy the endpoint may carry a prefix (`https://ops.example.com/codec/decode`).
    const op = /\/(decode|encode)\/*$/.exec(url.pathname)?.[1];
    if (!op) return send(res, 404, { error: 'not found: use POST /decode or POST /encode' });
    if (req.method !== 'POST')
      return send(res, 405, { error: 'method not allowed' }, { Allow: 'POST, OPTIONS' });
    if (keys.length > 0 && !authorised(req.headers.authorization, matchKey)) {
      return send(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer' });
    }
    const raw = await readBody(req, limit);
    if (raw === undefined) return send(res, 413, { error: `body larger than ${limit} bytes` });
    let payloads;
    try {
      payloads = fromJsonPayloads(JSON.parse(raw.toString('utf8')));
    } catch (err) {
      const message = err instanceof PayloadJsonError ? err.message : 'body is not JSON';
      return send(res, 400, { error: message });
    }
    try {
      const out =
        op === 'decode' ? await options.codec.decode(payloads) : await options.codec.encode(payloads);
      send(res, 200, toJsonPayloads(out));
    } catch (err) {
      // Unknown key or tampered payload: the operator should see why, the payload never.
      const e = err as Error & { code?: string };
      options.onError?.(e);
      send(res, 422, { error: e.message, code: e.code });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function cors(req: IncomingMessage, res: ServerResponse, allowed: string[]): void {
  const origin = req.headers.origin;
  if (!origin) return;
  if (allowed.includes('*') || allowed.includes(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    // The UI's `includeCredentials` option sends cookies; only echoed origins may receive them.
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Max-Age', '600');
  }
}

function authorised(header: string | undefined, matchKey: (token: string) => true | undefined): boolean {
  const token = bearerToken(header);
  return token !== undefined && matchKey(token) === true;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
