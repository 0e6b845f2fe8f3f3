/**
 * Number Lookup reduced to the decision a verification needs (status group and error name, as
 * the emulator's lookup table reads them), with the raw network data kept for the timeline.
 */
import type { LookupResult } from './types';
import type { NumberLookupResult } from '../infobip/types';

const DELIVERED_GROUP = 3;
const REJECTED_GROUP = 5;
const ABSENT_ERRORS = new Set(['EC_ABSENT_SUBSCRIBER', 'EC_ABSENT_SUBSCRIBER_SM']);
const ABSENT_ERROR_IDS = new Set([27, 6]);

/** Reduces one Number Lookup result to `REACHABLE`, `ABSENT`, `INVALID` or `NO_SMS`. */
export function reduceLookup(r: NumberLookupResult | undefined): LookupResult {
  if (!r) return { outcome: 'ABSENT', reason: 'NO_RESULT' };
  const status = r.status ?? {};
  const error = r.error ?? {};
  const network = r.ported ? (r.portedNetwork ?? r.originalNetwork) : r.originalNetwork;
  const base: Omit<LookupResult, 'outcome'> = {
    reason: [status.name ?? status.groupName ?? 'UNKNOWN', error.name].filter(Boolean).join('/'),
  };
  if (network?.networkName) base.network = network.networkName;
  if (network?.countryName ?? r.originalNetwork?.countryName)
    base.country = network?.countryName ?? r.originalNetwork?.countryName;
  if (r.mccMnc) base.mccMnc = r.mccMnc;
  if (r.ported !== undefined) base.ported = r.ported;
  if (r.roaming !== undefined) base.roaming = r.roaming;

  const errorName = error.name ?? '';
  if (errorName === 'EC_TELESERVICE_NOT_PROVISIONED' || error.id === 11)
    return { outcome: 'NO_SMS', ...base };
  if (errorName === 'EC_UNKNOWN_SUBSCRIBER' || error.id === 1) return { outcome: 'INVALID', ...base };
  if (ABSENT_ERRORS.has(errorName) || (error.id !== undefined && ABSENT_ERROR_IDS.has(error.id))) {
    return { outcome: 'ABSENT', ...base };
  }
  if (status.groupId === REJECTED_GROUP || status.groupName === 'REJECTED')
    return { outcome: 'INVALID', ...base };
  const noError = error.id === undefined || error.id === 0 || errorName === 'NO_ERROR';
  if ((status.groupId === DELIVERED_GROUP || status.groupName === 'DELIVERED') && noError) {
    return { outcome: 'REACHABLE', ...base };
  }
  // Anything else: an error that can never clear means the number is no use; otherwise it
  // exists but cannot be reached now, and the application's lookup policy decides.
  return { outcome: error.permanent ? 'INVALID' : 'ABSENT', ...base };
}
