/**
 * AES-256-GCM payload codec. Each payload is serialised whole (metadata and data) and
 * encrypted, so neither its content nor its encoding is readable in Temporal's history.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { UNENCRYPTED_MARK } from '../domain/failures';
import { CodecKeyError, DecryptionError, UnknownKeyError } from './errors';

/** `encoding` metadata of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key that names the key a payload was encrypted with. */
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A named 32-byte key. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
/** The payload an unencrypted one decodes to with `markPlain`. */
const PLAIN_MARK: Payload = {
  metadata: { encoding: utf8('json/plain') },
  data: utf8(JSON.stringify({ [UNENCRYPTED_MARK]: true })),
};
const fromUtf8 = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

/**
 * Encrypts with the first key and decrypts with any of them (rotation: put the new key
 * first, keep old ones until no history needs them). Unencrypted payloads pass through
 * decode unchanged. Throws `CodecKeyError` without keys or with a key that is not 32 bytes.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  private readonly current: EncryptionKey;

  /**
   * `markPlain` (workers): decode an unencrypted payload to `{ [UNENCRYPTED_MARK]: true }`, so
   * the workflow refuses what a caller without the keys sent instead of acting on it.
   */
  constructor(
    keys: EncryptionKey[],
    private readonly options: { markPlain?: boolean } = {},
  ) {
    if (keys.length === 0) throw new CodecKeyError('EncryptionCodec needs at least one key');
    for (const k of keys) {
      if (k.key.length !== 32)
        throw new CodecKeyError(`Encryption key "${k.id}" must be 32 bytes, got ${k.key.length}`);
    }
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    this.current = keys[0] as EncryptionKey;
  }

  /** ID of the key new payloads are encrypted with. */
  get currentKeyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      // The key ID is authenticated too, so a payload cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(this.current.id, 'utf8'));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.current.id) },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (fromUtf8(p.metadata?.encoding) !== ENCRYPTED_ENCODING)
        return this.options.markPlain ? PLAIN_MARK : p;
      const keyId = fromUtf8(p.metadata?.[KEY_ID_METADATA]) ?? '';
      const key = this.keys.get(keyId);
      if (!key) throw new UnknownKeyError(keyId);
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new DecryptionError(keyId);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(keyId, 'utf8'));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return temporal.api.common.v1.Payload.decode(plain);
      } catch {
        throw new DecryptionError(keyId);
      }
    });
  }
}
