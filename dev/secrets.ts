/**
 * Development secrets: the API key, destination-hash key and encryption key `otpflow dev`
 * generates when the environment sets none. With `--db` they are kept next to the state
 * (mode 0600), because IDs derive from the hash key and old payloads need the old key.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface DevSecrets {
  apiKey: string;
  destinationHashKey: string;
  /** `id:base64` */
  encryptionKey: string;
  /** `user:password` the emulator's delivery-report pushes carry (HTTP Basic). */
  deliveryReportCredentials: string;
}

/** Fresh random secrets. */
export function generateSecrets(): DevSecrets {
  return {
    apiKey: `otp_dev_${randomBytes(16).toString('hex')}`,
    destinationHashKey: randomBytes(32).toString('hex'),
    encryptionKey: `dev:${randomBytes(32).toString('base64')}`,
    deliveryReportCredentials: `infobip:${randomBytes(16).toString('hex')}`,
  };
}

/** Secrets from `file` when it exists, else new ones written there (or kept in memory without a file). */
export function loadOrCreateSecrets(file?: string): DevSecrets {
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>;
    const fresh = generateSecrets();
    return { ...fresh, ...saved };
  }
  const secrets = generateSecrets();
  if (file) writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}
