/** Bearer-key matching shared by the HTTP API and the codec endpoint. */
import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Returns a matcher that finds the entry whose key equals a presented key. Keys are compared
 * as SHA-256 digests (equal length whatever the key) with `timingSafeEqual`, against every
 * entry without stopping early, so timing tells neither a key's length nor which one matched.
 */
export function createKeyMatcher<T>(
  entries: readonly { key: string; value: T }[],
): (presented: string) => T | undefined {
  const digests = entries.map((e) => ({ digest: sha256(e.key), value: e.value }));
  return (presented) => {
    const given = sha256(presented);
    let match: T | undefined;
    let found = false;
    for (const d of digests) {
      if (timingSafeEqual(given, d.digest) && !found) {
        found = true;
        match = d.value;
      }
    }
    return match;
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer[ ]+([^\s]+)$/i.exec(header ?? '')?.[1];
}
