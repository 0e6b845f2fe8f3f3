/**
 * Identity of a verification without personal data in clear: the normalised destination, its
 * keyed hash (for IDs and search attributes), its masked form (for people) and the derived ID.
 */
import { createHmac } from 'node:crypto';
import { VERIFICATION_ID_PREFIX } from '../workflows/constants';
import type { Channel } from '../workflows/types';
import {
  InvalidInputError as WorkflowInvalidInput,
  maskDestination,
  parseDestination,
  type Destination,
} from '../workflows/validation';
import { InvalidInputError } from './errors';

/** Hex characters kept of the HMAC: 128 bits, plenty against collisions, short enough for IDs. */
export const DESTINATION_HASH_LENGTH = 32;

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
 * Parses and normalises a destination for a channel and derives its hash and masked form.
 * Throws `InvalidInputError` naming `field` when it is not a valid phone number / e-mail address.
 */
export function identifyDestination(
  value: unknown,
  channel: Channel,
  key: Buffer,
  field = 'destination',
): DestinationIdentity {
  let parsed: Destination;
  try {
    parsed = parseDestination(value, channel, field);
  } catch (err) {
    if (err instanceof WorkflowInvalidInput)
      throw new InvalidInputError(err.field, err.message.slice(err.field.length + 2));
    throw err;
  }
  const normalised = parsed.kind === 'phone' ? parsed.e164 : parsed.address;
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

/** Caller-chosen IDs: letters, digits and `._:-`, at most 128 characters. */
export const CALLER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
