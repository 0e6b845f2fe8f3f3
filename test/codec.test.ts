import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  createCodecServer,
  createDataConverter,
  EncryptionCodec,
  toJsonPayloads,
  type CodecServer,
} from '../codec';
import { DecryptionError, UnknownKeyError } from '../codec/errors';
import { isUnencryptedMark } from '../domain/failures';

const keyA = { id: 'a', key: randomBytes(32) };
const keyB = { id: 'b', key: randomBytes(32) };
const secret = { destination: '+41793026727', code: '123456' };
const toPayload = (v: unknown) => defaultPayloadConverter.toPayload(v) as Payload;
const text = (p: Payload) => Buffer.from(p.data ?? []).toString('latin1');

describe('EncryptionCodec', () => {
  it('round-trips and hides the content', async () => {
    const codec = new EncryptionCodec([keyA]);
    const [enc] = await codec.encode([toPayload(secret)]);
    expect(text(enc!)).not.toContain('+41793026727');
    expect(Buffer.from(enc!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(enc!.metadata!['encryption-key-id']!).toString()).toBe('a');
    const [dec] = await codec.decode([enc!]);
    expect(defaultPayloadConverter.fromPayload(dec!)).toEqual(secret);
  });

  it('rotates: encrypts with the first key, decrypts with any', async () => {
    const old = await new EncryptionCodec([keyA]).encode([toPayload(secret)]);
    const rotated = new EncryptionCodec([keyB, keyA]);
    const [fresh] = await rotated.encode([toPayload(secret)]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('b');
    const decoded = await rotated.decode([...old, fresh!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([secret, secret]);
  });

  it('passes unencrypted payloads through decode', async () => {
    const plain = toPayload({ hello: 'world' });
    expect(await new EncryptionCodec([keyA]).decode([plain])).toEqual([plain]);
  });

  it('marks unencrypted payloads for a worker (markPlain), and leaves encrypted ones alone (#19)', async () => {
    const codec = new EncryptionCodec([keyA], { markPlain: true });
    const [enc] = await codec.encode([toPayload(secret)]);
    const decoded = await codec.decode([toPayload(secret), toPayload(null), enc!]);
    const values = decoded.map((p) => defaultPayloadConverter.fromPayload(p));
    expect(isUnencryptedMark(values[0])).toBe(true);
    expect(isUnencryptedMark(values[1])).toBe(true);
    expect(JSON.stringify(values[0])).not.toContain('+41793026727');
    expect(values[2]).toEqual(secret);
    expect(isUnencryptedMark(secret)).toBe(false);
  });

  it('rejects a tampered payload, a relabelled key and an unknown key', async () => {
    const codec = new EncryptionCodec([keyA, { id: 'a2', key: keyA.key }]);
    const [enc] = await codec.encode([toPayload(secret)]);
    const data = Buffer.from(enc!.data!);
    data[20] = (data[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...enc!, data }])).rejects.toBeInstanceOf(DecryptionError);
    const relabelled = { ...enc!, metadata: { ...enc!.metadata, 'encryption-key-id': Buffer.from('a2') } };
    await expect(codec.decode([relabelled])).rejects.toMatchObject({ code: 'CODEC_DECRYPT_FAILED' });
    const err = await new EncryptionCodec([keyB]).decode([enc!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownKeyError);
    expect((err as UnknownKeyError).code).toBe('CODEC_UNKNOWN_KEY');
    expect((err as Error).message).toContain('"a"');
  });

  it('refuses keys of the wrong size', () => {
    expect(() => new EncryptionCodec([{ id: 'x', key: randomBytes(16) }])).toThrow(/32 bytes/);
    expect(() => new EncryptionCodec([])).toThrow(/at least one key/);
  });
});

describe('createDataConverter', () => {
  it('is the default without keys and encrypts payloads and failures with keys', () => {
    expect(createDataConverter({ encryptionKeys: [] })).toEqual({});
    const dc = createDataConverter({ encryptionKeys: [keyA] });
    expect(dc.payloadCodecs?.[0]).toBeInstanceOf(EncryptionCodec);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK loads this module the same way
    const mod = require(dc.failureConverterPath!) as {
      failureConverter: { options: { encodeCommonAttributes: boolean } };
    };
    expect(mod.failureConverter.options.encodeCommonAttributes).toBe(true);
  });
});

describe('codec server', () => {
  let server: CodecServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const uiOrigin = 'http://localhost:8233';

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    return fetch(server!.url + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: uiOrigin, 'X-Namespace': 'default', ...headers },
      body: JSON.stringify(body),
    });
  }

  it('decodes and encodes proto-JSON payloads, with CORS for the UI and bearer auth', async () => {
    const codec = new EncryptionCodec([keyA]);
    server = await createCodecServer({
      codec,
      apiKeys: ['operator-key-0123456789'],
      corsOrigins: [uiOrigin],
    });
    const encrypted = toJsonPayloads(await codec.encode([toPayload(secret)]));

    const preflight = await fetch(server.url + '/decode', {
      method: 'OPTIONS',
      headers: {
        Origin: uiOrigin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);

    const denied = await post('/decode', encrypted);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    expect((await post('/decode', encrypted, { Authorization: 'Bearer wrong-key-0123456789' })).status).toBe(
      401,
    );

    const ok = await post('/decode', encrypted, { Authorization: 'Bearer operator-key-0123456789' });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString())).toEqual(secret);

    const reEncoded = await post('/encode', body, { Authorization: 'Bearer operator-key-0123456789' });
    const enc = (await reEncoded.json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(enc.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
  });

  it('does not grant CORS to other origins and answers bad requests clearly', async () => {
    server = await createCodecServer({ codec: new EncryptionCodec([keyA]), corsOrigins: [uiOrigin] });
    const r = await post('/decode', { payloads: [] }, { Origin: 'https://evil.example' });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect((await post('/decode', { nope: 1 })).status).toBe(400);
    expect((await post('/other', { payloads: [] })).status).toBe(404);
    expect((await post('/codec/decode', { payloads: [] })).status).toBe(200);
    const unknown = await post(
      '/decode',
      toJsonPayloads(await new EncryptionCodec([keyB]).encode([toPayload(1)])),
    );
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toMatchObject({ code: 'CODEC_UNKNOWN_KEY' });
  });
});
