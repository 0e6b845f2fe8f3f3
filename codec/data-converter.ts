/** The data converter every otpflow process (worker, client, API) uses for a configuration. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, type EncryptionKey } from './encryption-codec';

/** Module exporting `failureConverter` with `encodeCommonAttributes` (see failure-converter.js). */
export const ENCODING_FAILURE_CONVERTER_PATH = resolveShipped('failure-converter.js');

function resolveShipped(name: string): string {
  const candidates = [path.join(__dirname, name), path.resolve(__dirname, '..', '..', 'codec', name)];
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

/**
 * With encryption keys: AES-256-GCM on every payload and failure messages moved into
 * (encrypted) payloads. Without keys: Temporal's defaults. Workers pass `markPlain` (see
 * `EncryptionCodec`): with keys they refuse unencrypted inputs, signals and updates. Workers running a prebuilt
 * bundle must use the bundle built with the same failure converter (see worker/bundle.ts).
 */
export function createDataConverter(
  config: { encryptionKeys: EncryptionKey[] },
  options: { markPlain?: boolean } = {},
): DataConverter {
  if (config.encryptionKeys.length === 0) return {};
  return {
    payloadCodecs: [new EncryptionCodec(config.encryptionKeys, options)],
    failureConverterPath: ENCODING_FAILURE_CONVERTER_PATH,
  };
}
