/** Payload encryption for otpflow: the AES-256-GCM codec, the data converter and the codec server. */
export { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, type EncryptionKey } from './encryption-codec';
export { createDataConverter, ENCODING_FAILURE_CONVERTER_PATH } from './data-converter';
export { createCodecServer, type CodecServer, type CodecServerOptions } from './server';
export { fromJsonPayloads, toJsonPayloads, type JsonPayload } from './payload-json';
export { UnknownKeyError, DecryptionError, CodecKeyError } from './errors';
