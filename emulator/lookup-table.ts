/**
 * The emulator's Number Lookup: a deterministic table of test numbers and plausible network
 * data for a few countries. Exported so tests and docs can make numbers of a given outcome.
 *
 * The outcome of a number is chosen by its LAST FOUR DIGITS (see `LOOKUP_SUFFIXES`):
 * `…0001` absent, `…0003` unknown subscriber, `…0006` cannot receive SMS, and so on. Every
 * other well-formed number (6–15 digits, optional leading `+`) is reachable. Strings that are
 * not such numbers get a per-number REJECTED_DESTINATION result (the request itself is fine).
 * Delivery reports use `…0021`–`…0028` the same way (see `delivery-table.ts`).
 */

import { LOOKUP_COUNTRIES, type EmulatedCountry, type EmulatedNetwork } from './networks';

export { LOOKUP_COUNTRIES, type EmulatedCountry, type EmulatedNetwork } from './networks';

/** What a lookup says about a number. */
export type LookupOutcome =
  | 'REACHABLE'
  | 'ABSENT'
  | 'ABSENT_SM'
  | 'UNKNOWN_SUBSCRIBER'
  | 'BAD_PREFIX'
  | 'REJECTED_DESTINATION'
  | 'NO_SMS'
  | 'PORTED'
  | 'ROAMING'
  | 'PORTED_ROAMING';

/** Last four digits → outcome. Anything else is `REACHABLE`. */
export const LOOKUP_SUFFIXES: Readonly<Record<string, LookupOutcome>> = {
  '0001': 'ABSENT', // UNDELIVERABLE_NOT_DELIVERED + EC_ABSENT_SUBSCRIBER (27), temporary
  '0002': 'ABSENT_SM', // UNDELIVERABLE_NOT_DELIVERED + EC_ABSENT_SUBSCRIBER_SM (6), temporary
  '0003': 'UNKNOWN_SUBSCRIBER', // UNDELIVERABLE_NOT_DELIVERED + EC_UNKNOWN_SUBSCRIBER (1), permanent
  '0004': 'BAD_PREFIX', // REJECTED_PREFIX_MISSING (8)
  '0005': 'REJECTED_DESTINATION', // REJECTED_DESTINATION (52)
  '0006': 'NO_SMS', // UNDELIVERABLE_NOT_DELIVERED + EC_TELESERVICE_NOT_PROVISIONED (11), permanent
  '0007': 'PORTED', // delivered, ported: true
  '0008': 'ROAMING', // delivered, roaming: true
  '0009': 'PORTED_ROAMING', // delivered, ported and roaming
};

/** Network Lookup's `Network` object. */
export interface LookupNetwork {
  networkName: string;
  networkPrefix: string;
  countryName: string;
  countryPrefix: string;
  networkId: number;
}

/** Status or error object of a lookup result. */
export interface LookupStatus {
  groupId: number;
  groupName: string;
  id: number;
  name: string;
  description: string;
}

/** One entry of `results` in the `POST /number/1/query` answer. */
export interface LookupResult {
  to: string;
  mccMnc?: string;
  imsi?: string;
  originalNetwork?: LookupNetwork;
  ported?: boolean;
  portedNetwork?: LookupNetwork;
  roaming?: boolean;
  roamingNetwork?: LookupNetwork;
  servingMSC?: string;
  status: LookupStatus;
  error: LookupStatus & { permanent: boolean };
}

/** How the SMS send's `ncStatus` reads a lookup. */
export type NcStatus =
  | 'NC_DESTINATION_UNKNOWN'
  | 'NC_DESTINATION_REACHABLE'
  | 'NC_DESTINATION_NOT_REACHABLE'
  | 'NC_NOT_CONFIGURED';

const DELIVERED: LookupStatus = {
  groupId: 3,
  groupName: 'DELIVERED',
  id: 5,
  name: 'DELIVERED_TO_HANDSET',
  description: 'Message delivered to handset',
};
const UNDELIVERABLE: LookupStatus = {
  groupId: 2,
  groupName: 'UNDELIVERABLE',
  id: 9,
  name: 'UNDELIVERABLE_NOT_DELIVERED',
  description: 'Message sent not delivered',
};
const PREFIX_MISSING: LookupStatus = {
  groupId: 5,
  groupName: 'REJECTED',
  id: 8,
  name: 'REJECTED_PREFIX_MISSING',
  description: 'Number prefix missing',
};
const REJECTED_DEST: LookupStatus = {
  groupId: 5,
  groupName: 'REJECTED',
  id: 52,
  name: 'REJECTED_DESTINATION',
  description: 'Request rejected: invalid destination address',
};
const NO_ERROR = {
  groupId: 0,
  groupName: 'OK',
  id: 0,
  name: 'NO_ERROR',
  description: 'No Error',
  permanent: false,
};
const handsetError = (id: number, name: string, description: string, permanent: boolean) => ({
  groupId: 1,
  groupName: 'HANDSET_ERRORS',
  id,
  name,
  description,
  permanent,
});

const WELL_FORMED = /^\+?(\d{6,15})$/;
const TEST_NETWORK: EmulatedNetwork = {
  networkName: 'Emulated Test Network',
  networkId: 1,
  mcc: '001',
  mnc: '01',
  prefixes: [],
};
const ROAMING_HOSTS = ['49', '41', '385'];

/** Infobip's digits-only form of a phone number (`+41 79…` → `4179…`), or undefined if malformed. */
export function normalizeMsisdn(to: string): string | undefined {
  return WELL_FORMED.exec(to)?.[1];
}

/** The outcome for a number: `overrides` first, then the suffix table, else `REACHABLE`. */
export function lookupOutcome(
  to: string,
  overrides?: Readonly<Record<string, LookupOutcome>>,
): LookupOutcome {
  const digits = normalizeMsisdn(to);
  if (digits === undefined) return 'REJECTED_DESTINATION';
  return overrides?.[digits] ?? LOOKUP_SUFFIXES[digits.slice(-4)] ?? 'REACHABLE';
}

/** The SMS send's `ncStatus` for an outcome: temporary absence is UNKNOWN (the SMS still goes). */
export function ncStatusFor(outcome: LookupOutcome): NcStatus {
  switch (outcome) {
    case 'ABSENT':
    case 'ABSENT_SM':
      return 'NC_DESTINATION_UNKNOWN';
    case 'UNKNOWN_SUBSCRIBER':
    case 'BAD_PREFIX':
    case 'REJECTED_DESTINATION':
    case 'NO_SMS':
      return 'NC_DESTINATION_NOT_REACHABLE';
    default:
      return 'NC_DESTINATION_REACHABLE';
  }
}

function hash(digits: string): number {
  let h = 2166136261;
  for (let i = 0; i < digits.length; i++) h = Math.imul(h ^ digits.charCodeAt(i), 16777619);
  return h >>> 0;
}

function locate(digits: string): {
  country?: EmulatedCountry;
  network: EmulatedNetwork;
  networkPrefix: string;
} {
  const country = LOOKUP_COUNTRIES.find((c) => digits.startsWith(c.countryPrefix));
  if (!country) return { network: TEST_NETWORK, networkPrefix: digits.slice(0, 3) };
  const national = digits.slice(country.countryPrefix.length);
  for (const network of country.networks) {
    const prefix = network.prefixes.find((p) => national.startsWith(p));
    if (prefix) return { country, network, networkPrefix: prefix };
  }
  const network = country.networks[hash(digits) % country.networks.length] ?? TEST_NETWORK;
  return { country, network, networkPrefix: national.slice(0, 2) };
}

function networkObject(
  country: EmulatedCountry | undefined,
  network: EmulatedNetwork,
  networkPrefix: string,
): LookupNetwork {
  return {
    networkName: network.networkName,
    networkPrefix,
    countryName: country?.countryName ?? 'Unknown',
    countryPrefix: country?.countryPrefix ?? '',
    networkId: network.networkId,
  };
}

/** The Number Lookup result for one requested `to` (echoed as given, clipped to 256 characters). */
export function lookupNumber(
  requested: string,
  overrides?: Readonly<Record<string, LookupOutcome>>,
): LookupResult {
  const to = requested.slice(0, 256);
  const outcome = lookupOutcome(to, overrides);
  const digits = normalizeMsisdn(to);
  if (digits === undefined || outcome === 'REJECTED_DESTINATION')
    return { to, status: REJECTED_DEST, error: NO_ERROR };
  if (outcome === 'BAD_PREFIX') return { to, status: PREFIX_MISSING, error: NO_ERROR };

  const { country, network, networkPrefix } = locate(digits);
  const h = hash(digits);
  const base = {
    to,
    mccMnc: network.mcc + network.mnc,
    originalNetwork: networkObject(country, network, networkPrefix),
  };
  if (outcome === 'UNKNOWN_SUBSCRIBER') {
    return {
      ...base,
      ported: false,
      roaming: false,
      status: UNDELIVERABLE,
      error: handsetError(1, 'EC_UNKNOWN_SUBSCRIBER', 'Unknown Subscriber', true),
    };
  }
  const imsi = (network.mcc + network.mnc + String(h).padStart(10, '0')).slice(0, 15);
  const servingMSC = (country?.countryPrefix ?? '001') + String(h % 1e8).padStart(8, '0');
  if (outcome === 'ABSENT' || outcome === 'ABSENT_SM') {
    const error =
      outcome === 'ABSENT'
        ? handsetError(27, 'EC_ABSENT_SUBSCRIBER', 'Absent Subscriber', false)
        : handsetError(6, 'EC_ABSENT_SUBSCRIBER_SM', 'Absent Subscriber SM', false);
    return { ...base, imsi, ported: false, roaming: false, status: UNDELIVERABLE, error };
  }
  if (outcome === 'NO_SMS') {
    return {
      ...base,
      ported: false,
      roaming: false,
      status: UNDELIVERABLE,
      error: handsetError(11, 'EC_TELESERVICE_NOT_PROVISIONED', 'Teleservice Not Provisioned', true),
    };
  }
  const result: LookupResult = {
    ...base,
    imsi,
    ported: false,
    roaming: false,
    servingMSC,
    status: DELIVERED,
    error: NO_ERROR,
  };
  if (outcome === 'PORTED' || outcome === 'PORTED_ROAMING') {
    const others = country?.networks.filter((n) => n !== network) ?? [];
    const target = others[h % Math.max(1, others.length)] ?? network;
    result.ported = true;
    result.portedNetwork = networkObject(country, target, target.prefixes[0] ?? networkPrefix);
    result.mccMnc = target.mcc + target.mnc;
  }
  if (outcome === 'ROAMING' || outcome === 'PORTED_ROAMING') {
    const hostPrefix = ROAMING_HOSTS.find((p) => p !== country?.countryPrefix) ?? '49';
    const host = LOOKUP_COUNTRIES.find((c) => c.countryPrefix === hostPrefix);
    const hostNetwork = host?.networks[h % host.networks.length] ?? TEST_NETWORK;
    result.roaming = true;
    result.roamingNetwork = networkObject(host, hostNetwork, hostNetwork.prefixes[0] ?? '');
    result.servingMSC = hostPrefix + String(h % 1e8).padStart(8, '0');
  }
  return result;
}

/**
 * A fresh random number (digits only) with the given outcome, in a known country
 * (`countryPrefix` one of LOOKUP_COUNTRIES, default Switzerland `41`).
 */
export function testNumber(outcome: LookupOutcome = 'REACHABLE', countryPrefix = '41'): string {
  const country = LOOKUP_COUNTRIES.find((c) => c.countryPrefix === countryPrefix) ?? LOOKUP_COUNTRIES[0];
  const prefix = country?.networks[0]?.prefixes[0] ?? '79';
  const national = (country?.countryPrefix === '1' ? 10 : 9) - prefix.length;
  const suffix = Object.entries(LOOKUP_SUFFIXES).find(([, o]) => o === outcome)?.[0];
  let middle = '';
  const randomLength = suffix ? national - 4 : national;
  for (let i = 0; i < randomLength; i++) middle += String(Math.floor(Math.random() * 10));
  // Last four digits 00xx are reserved for test outcomes (lookup and delivery): never drawn at random.
  if (!suffix && middle.slice(-4).startsWith('00')) middle = `${middle.slice(0, -4)}1${middle.slice(-3)}`;
  return `${country?.countryPrefix ?? '41'}${prefix}${middle}${suffix ?? ''}`;
}
