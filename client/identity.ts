/**
 * Identity of a verification without personal data in clear: the normalised destination, its
 * keyed hash (for IDs and search attributes), its masked form (for people) and the derived ID.
 */
import { createHmac } from 'node:crypto';
import { VERIFICATION_ID_PREFIX } from '../domain/constants';
import {
  maskDestination,
  normalisedDestination,
  parseDestination,
  type Destination,
} from '../domain/destination';
import type { Channel } from '../domain/types';

/** Hex characters kept of the HMAC: 128 bits, plenty against collisions, short enough for IDs. */
const DESTINATION_HASH_LENGTH = 32;

/** A destination ready for a verification. */
export interface DestinationIdentity {
  parsed: Destination;
  /** E.164 number or lower-cased e-mail address. */
  normalised: string;
  /** `HMAC-SHA256(key, normalised)` as hex, truncated to 32 characters. */
  hash: string;
  /** `+41•••••6727` */
  masked: string;
}

/**
 * Parses and normalises a destination for a channel (fully: libphonenumber-js) and derives
 * its hash and masked form. Throws `InvalidInputError` naming `field` when it is not a valid
 * phone number / e-mail address.
 */
export function identifyDestination(
  value: unknown,
  channel: Channel,
  key: Buffer,
  field = 'destination',
): DestinationIdentity {
  return identityOf(parseDestination(value, channel, field), key);
}

/** Hash and masked form of a destination already parsed. */
export function identityOf(parsed: Destination, key: Buffer): DestinationIdentity {
  const normalised = normalisedDestination(parsed);
  return { parsed, normalised, hash: hashDestination(normalised, key), masked: maskDestination(normalised) };
}

/** Keyed hash of a normalised destination (hex, 32 characters). */
export function hashDestination(normalised: string, key: Buffer): string {
  return createHmac('sha256', key).update(normalised, 'utf8').digest('hex').slice(0, DESTINATION_HASH_LENGTH);
}

/** Workflow ID of the verification of `application` for a destination: `otp-<application>-<hash>`. */
export function verificationId(application: string, destinationHash: string): string {
  return `${VERIFICATION_ID_PREFIX}${application}-${destinationHash}`;
}
