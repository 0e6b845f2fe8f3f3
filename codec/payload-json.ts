/** Proto-JSON form of payloads as the Temporal Web UI and CLI send them to a codec server. */
import type { Payload } from '@temporalio/common';

/** `{ metadata: { key: base64 }, data: base64 }`. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** Thrown when a request body is not `{ payloads: [...] }` of proto-JSON payloads. */
export class PayloadJsonError extends Error {
  override readonly name = 'PayloadJsonError';
  readonly code = 'CODEC_BAD_REQUEST';
}

export function fromJsonPayloads(body: unknown): Payload[] {
  const list = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new PayloadJsonError('Body must be {"payloads": [...]}');
  return list.map((item, i) => {
    if (!item || typeof item !== 'object') throw new PayloadJsonError(`payloads[${i}] must be an object`);
    const { metadata, data } = item as JsonPayload;
    if (data !== undefined && typeof data !== 'string')
      throw new PayloadJsonError(`payloads[${i}].data must be base64`);
    const meta: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(metadata ?? {})) {
      if (typeof v !== 'string') throw new PayloadJsonError(`payloads[${i}].metadata.${k} must be base64`);
      meta[k] = Buffer.from(v, 'base64');
    }
    return { metadata: meta, data: Buffer.from(data ?? '', 'base64') };
  });
}

export function toJsonPayloads(payloads: Payload[]): { payloads: JsonPayload[] } {
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  };
}
