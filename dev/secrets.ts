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
}

/** Fresh random secrets. */
export function generateSecrets(): DevSecrets {
  return {
    apiKey: `otp_dev_${randomBytes(16).toString('hex')}`,
    destinationHashKey: randomBytes(32).toString('hex'),
    encryptionKey: `dev:${randomBytes(32).toString('base64')}`,
  };
}

/** How the secrets file names each secret: the environment variable it stands for. */
const FILE_NAMES: Record<keyof DevSecrets, string> = {
  apiKey: 'OTPFLOW_API_KEYS',
  destinationHashKey: 'OTPFLOW_DESTINATION_HASH_KEY',
  encryptionKey: 'OTPFLOW_ENCRYPTION_KEYS',
};

/**
 * Secrets from `file` when it exists, else new ones written there (or kept in memory without a
 * file). The file uses the variables' names (`{"OTPFLOW_API_KEYS": …}`), so its values can be
 * exported as they are; files written before with the field names still load.
 */
export function loadOrCreateSecrets(file?: string): DevSecrets {
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const out = generateSecrets();
    for (const key of Object.keys(FILE_NAMES) as (keyof DevSecrets)[]) {
      const value = saved[FILE_NAMES[key]] ?? saved[key];
      if (typeof value === 'string' && value !== '') out[key] = value;
    }
    return out;
  }
  const secrets = generateSecrets();
  if (file) {
    const named = Object.fromEntries(
      (Object.keys(FILE_NAMES) as (keyof DevSecrets)[]).map((k) => [FILE_NAMES[k], secrets[k]]),
    );
    writeFileSync(file, JSON.stringify(named, null, 2) + '\n', { mode: 0o600 });
  }
  return secrets;
}
