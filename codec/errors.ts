/** Errors of the payload codec and the codec server. */

/** Thrown when an encrypted payload names a key ID that no configured key has. */
export class UnknownKeyError extends Error {
  override readonly name = 'UnknownKeyError';
  readonly code = 'CODEC_UNKNOWN_KEY';
  constructor(readonly keyId: string) {
    super(`Payload was encrypted with key "${keyId}", which is not in OTPFLOW_ENCRYPTION_KEYS`);
  }
}

/** Thrown when an encrypted payload fails authentication (tampered, truncated or wrong key). */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
  readonly code = 'CODEC_DECRYPT_FAILED';
  constructor(readonly keyId: string) {
    super(
      `Payload encrypted with key "${keyId}" failed authentication: it was altered or the key material is wrong`,
    );
  }
}

/** Thrown when a codec is built without keys or with a key that is not 32 bytes. */
export class CodecKeyError extends Error {
  override readonly name = 'CodecKeyError';
  readonly code = 'CODEC_BAD_KEY';
}
