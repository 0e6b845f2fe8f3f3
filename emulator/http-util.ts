/** Low-level HTTP helpers: bounded body reading, JSON answers, request ids. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

/** Largest accepted request body: 1 MiB. Larger bodies are drained and answered 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads the whole body and calls `done` with it, or with `null` (after draining) when it exceeds
 * `limit` bytes. Callback style: the verify hot path avoids a promise per request. `done` is not
 * called if the client goes away first.
 */
export function collectBody(req: IncomingMessage, limit: number, done: (body: Buffer | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > limit) {
      tooLarge = true;
      chunks.length = 0;
    } else chunks.push(chunk);
  });
  req.on('end', () =>
    done(tooLarge ? null : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)),
  );
  req.on('error', () => undefined);
}

/** `collectBody` as a promise (rejects if the request fails). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    req.once('error', reject);
    collectBody(req, limit, resolve);
  });
}

const idPrefix = randomBytes(4).toString('hex');
let idCounter = 0;

/** A unique id for the `X-Request-Id` header (cheap: a per-process prefix and a counter). */
export function nextRequestId(): string {
  return `${idPrefix}-${(++idCounter).toString(36)}`;
}

/** Writes a JSON answer with Content-Length and X-Request-Id. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  headers?: Record<string, string>,
): void {
  const json = JSON.stringify(body);
  const head: Record<string, string | number> = {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(json),
    'X-Request-Id': requestId,
  };
  if (headers) Object.assign(head, headers);
  res.writeHead(status, head);
  res.end(json);
}
