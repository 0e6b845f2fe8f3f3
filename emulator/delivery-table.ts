/**
 * What happens to a tracked message after Infobip accepted it: a deterministic table of
 * delivery outcomes by test number, and the status and error objects each report carries.
 *
 * The outcome of a number is chosen by its LAST FOUR DIGITS (see `DELIVERY_SUFFIXES`, `…0021`
 * to `…0028`); the lookup test numbers (`…0001` to `…0009`) keep their meaning and deliver the
 * way their lookup says (absent → undeliverable, cannot receive SMS → an SMS fails but a call
 * goes through, …). Every other number is delivered. Last four digits `00xx` are reserved for
 * test outcomes: `testNumber()` never draws them at random.
 */
import { LOOKUP_COUNTRIES } from './networks';
import { lookupOutcome, type LookupOutcome, type LookupStatus } from './lookup-table';
import type { Channel } from './state';

/** How the delivery of one tracked message ends, and which reports it produces. */
export type DeliveryOutcome =
  | 'DELIVERED'
  | 'DELIVERED_LATE'
  | 'UNDELIVERABLE_ABSENT'
  | 'UNDELIVERABLE_ABSENT_SM'
  | 'UNDELIVERABLE_UNKNOWN_SUBSCRIBER'
  | 'UNDELIVERABLE_PERMANENT'
  | 'UNDELIVERABLE_NO_SMS'
  | 'REJECTED'
  | 'EXPIRED'
  | 'NO_REPORT'
  | 'DUPLICATE'
  | 'OUT_OF_ORDER';

/** Last four digits → delivery outcome (numbers that are reachable by lookup). */
export const DELIVERY_SUFFIXES: Readonly<Record<string, DeliveryOutcome>> = {
  '0021': 'UNDELIVERABLE_ABSENT', // phone off: EC_ABSENT_SUBSCRIBER, temporary
  '0022': 'UNDELIVERABLE_PERMANENT', // EC_ILLEGAL_SUBSCRIBER, permanent
  '0023': 'REJECTED', // REJECTED_NETWORK
  '0024': 'EXPIRED', // validity ran out, after the late delay
  '0025': 'NO_REPORT', // delivered, but no report is ever pushed
  '0026': 'DUPLICATE', // the DELIVERED report is pushed twice
  '0027': 'OUT_OF_ORDER', // DELIVERED, then a stale PENDING report
  '0028': 'DELIVERED_LATE', // delivered after the late delay
};

/** Infobip's status groups, by `groupId`. */
export type DeliveryStatusGroup = 'PENDING' | 'UNDELIVERABLE' | 'DELIVERED' | 'EXPIRED' | 'REJECTED';

/** The `error` object of a report. */
export interface ReportErrorObject extends LookupStatus {
  permanent: boolean;
}

/** How an outcome plays out: its final status and error, its timing and its reports. */
export interface OutcomePlan {
  status: LookupStatus;
  error: ReportErrorObject;
  /** `normal`: after the report delay; `late`: after the late delay. */
  timing: 'normal' | 'late';
  /** `one` report; `none`; the same report `twice`; the report `then-pending` (a stale PENDING after it). */
  reports: 'one' | 'none' | 'twice' | 'then-pending';
}

const status = (
  groupId: number,
  groupName: DeliveryStatusGroup,
  id: number,
  name: string,
  description: string,
) => ({
  groupId,
  groupName,
  id,
  name,
  description,
});
const error = (
  groupId: number,
  groupName: string,
  id: number,
  name: string,
  description: string,
  permanent: boolean,
): ReportErrorObject => ({ groupId, groupName, id, name, description, permanent });

/** PENDING_ENROUTE: accepted and sent on to the operator. */
export const PENDING_STATUS = status(1, 'PENDING', 7, 'PENDING_ENROUTE', 'Message sent to next instance');
const DELIVERED_STATUS = status(3, 'DELIVERED', 5, 'DELIVERED_TO_HANDSET', 'Message delivered to handset');
const UNDELIVERABLE_STATUS = status(
  2,
  'UNDELIVERABLE',
  9,
  'UNDELIVERABLE_NOT_DELIVERED',
  'Message sent not delivered',
);
const REJECTED_STATUS = status(5, 'REJECTED', 6, 'REJECTED_NETWORK', 'Network is forbidden');
const EXPIRED_STATUS = status(4, 'EXPIRED', 15, 'EXPIRED_EXPIRED', 'Message expired');

/** NO_ERROR (group 0, OK). */
export const NO_ERROR = error(0, 'OK', 0, 'NO_ERROR', 'No Error', false);
/** A call that was answered and ended normally (Infobip's voice code 10000, group 0). */
export const VOICE_ANSWERED = error(0, 'OK', 10000, 'NORMAL_HANGUP', 'The call ended normally', false);
const handset = (id: number, name: string, description: string, permanent: boolean) =>
  error(1, 'HANDSET_ERRORS', id, name, description, permanent);
const ABSENT = handset(27, 'EC_ABSENT_SUBSCRIBER', 'Absent Subscriber', false);

const PLANS: Readonly<Record<DeliveryOutcome, OutcomePlan>> = {
  DELIVERED: { status: DELIVERED_STATUS, error: NO_ERROR, timing: 'normal', reports: 'one' },
  DELIVERED_LATE: { status: DELIVERED_STATUS, error: NO_ERROR, timing: 'late', reports: 'one' },
  UNDELIVERABLE_ABSENT: { status: UNDELIVERABLE_STATUS, error: ABSENT, timing: 'normal', reports: 'one' },
  UNDELIVERABLE_ABSENT_SM: {
    status: UNDELIVERABLE_STATUS,
    error: handset(6, 'EC_ABSENT_SUBSCRIBER_SM', 'Absent Subscriber SM', false),
    timing: 'normal',
    reports: 'one',
  },
  UNDELIVERABLE_UNKNOWN_SUBSCRIBER: {
    status: UNDELIVERABLE_STATUS,
    error: handset(1, 'EC_UNKNOWN_SUBSCRIBER', 'Unknown Subscriber', true),
    timing: 'normal',
    reports: 'one',
  },
  UNDELIVERABLE_PERMANENT: {
    status: UNDELIVERABLE_STATUS,
    error: handset(9, 'EC_ILLEGAL_SUBSCRIBER', 'Illegal Subscriber', true),
    timing: 'normal',
    reports: 'one',
  },
  UNDELIVERABLE_NO_SMS: {
    status: UNDELIVERABLE_STATUS,
    error: handset(11, 'EC_TELESERVICE_NOT_PROVISIONED', 'Teleservice Not Provisioned', true),
    timing: 'normal',
    reports: 'one',
  },
  REJECTED: { status: REJECTED_STATUS, error: NO_ERROR, timing: 'normal', reports: 'one' },
  EXPIRED: { status: EXPIRED_STATUS, error: ABSENT, timing: 'late', reports: 'one' },
  NO_REPORT: { status: DELIVERED_STATUS, error: NO_ERROR, timing: 'normal', reports: 'none' },
  DUPLICATE: { status: DELIVERED_STATUS, error: NO_ERROR, timing: 'normal', reports: 'twice' },
  OUT_OF_ORDER: { status: DELIVERED_STATUS, error: NO_ERROR, timing: 'normal', reports: 'then-pending' },
};

/** How an outcome plays out (status, error, timing, reports). */
export function outcomePlan(outcome: DeliveryOutcome): OutcomePlan {
  return PLANS[outcome];
}

const FROM_LOOKUP: Partial<Record<LookupOutcome, DeliveryOutcome>> = {
  ABSENT: 'UNDELIVERABLE_ABSENT',
  ABSENT_SM: 'UNDELIVERABLE_ABSENT_SM',
  UNKNOWN_SUBSCRIBER: 'UNDELIVERABLE_UNKNOWN_SUBSCRIBER',
  BAD_PREFIX: 'REJECTED',
  REJECTED_DESTINATION: 'REJECTED',
  NO_SMS: 'UNDELIVERABLE_NO_SMS',
};

/**
 * The delivery outcome of a message to `to` over `channel`: `overrides` first, then the
 * delivery suffixes, then what the number's lookup outcome implies, else `DELIVERED`.
 * A number that cannot receive SMS answers calls: its voice messages are delivered.
 */
export function deliveryOutcome(
  to: string,
  channel: Exclude<Channel, 'EMAIL'>,
  overrides?: Readonly<Record<string, DeliveryOutcome>>,
  lookupOverrides?: Readonly<Record<string, LookupOutcome>>,
): DeliveryOutcome {
  const digits = to.replace(/^\+/, '');
  const fixed = overrides?.[digits] ?? DELIVERY_SUFFIXES[digits.slice(-4)];
  if (fixed) return fixed;
  const fromLookup = FROM_LOOKUP[lookupOutcome(digits, lookupOverrides)];
  if (fromLookup === 'UNDELIVERABLE_NO_SMS' && channel === 'VOICE') return 'DELIVERED';
  return fromLookup ?? 'DELIVERED';
}

/**
 * A fresh random number (digits only) whose tracked messages end with `outcome`, in a known
 * country (default Switzerland `41`). Only the outcomes of `DELIVERY_SUFFIXES` and `DELIVERED`.
 * @throws Error for an outcome that only a lookup test number produces (use `testNumber`).
 */
export function deliveryTestNumber(outcome: DeliveryOutcome, countryPrefix = '41'): string {
  const suffix = Object.entries(DELIVERY_SUFFIXES).find(([, o]) => o === outcome)?.[0];
  if (!suffix && outcome !== 'DELIVERED')
    throw new Error(`${outcome} comes from a lookup test number: use testNumber() for it`);
  const country = LOOKUP_COUNTRIES.find((c) => c.countryPrefix === countryPrefix) ?? LOOKUP_COUNTRIES[0];
  const prefix = country?.networks[0]?.prefixes[0] ?? '79';
  const national = (country?.countryPrefix === '1' ? 10 : 9) - prefix.length;
  let digits = '';
  for (let i = 0; i < national; i++) digits += String(Math.floor(Math.random() * 10));
  // A random tail never falls in the reserved 00xx block.
  if (digits.slice(-4).startsWith('00')) digits = `${digits.slice(0, -4)}1${digits.slice(-3)}`;
  if (suffix) digits = digits.slice(0, -4) + suffix;
  return `${country?.countryPrefix ?? '41'}${prefix}${digits}`;
}
