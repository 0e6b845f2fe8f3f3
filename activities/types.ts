/**
 * The contract between the verification workflow and its activities. The workflow imports
 * this file as types only; `createActivities(deps)` implements `OtpActivities`.
 */
import type { Channel } from '../domain/types';

/** Number Lookup reduced to what a verification needs. */
export type LookupOutcome = 'REACHABLE' | 'ABSENT' | 'INVALID' | 'NO_SMS';

export interface LookupResult {
  outcome: LookupOutcome;
  /** Infobip's status/error names, e.g. `UNDELIVERABLE_NOT_DELIVERED/EC_UNKNOWN_SUBSCRIBER`. */
  reason: string;
  network?: string;
  country?: string;
  mccMnc?: string;
  ported?: boolean;
  roaming?: boolean;
}

export interface SendPinInput {
  application: string;
  channel: Channel;
  /** E.164 number or e-mail address. */
  to: string;
  language?: string;
  placeholders?: Record<string, string>;
  /** Ask for delivery reports (SMS and voice; e-mail has none). @default false */
  trackDelivery?: boolean;
  /**
   * The flow's destination and the caller's hash of it, on the first send: checked against the
   * workers' hash key before anything is sent (see `identity-check.ts`).
   */
  claim?: { destination: string; destinationHash: string };
}

/** Input of `lookupNumber`; `destinationHash` is checked like `SendPinInput.claim`. */
export interface LookupInput {
  application: string;
  destination: string;
  destinationHash?: string;
}

export interface SendPinResult {
  /** Infobip's pinId; null when a PIN went out but its pinId was lost (see `recovered`). */
  pinId: string | null;
  /** `MESSAGE_SENT`, `MESSAGE_NOT_SENT`, `PENDING_ACCEPTED`, an e-mail status name, … */
  infobipStatus: string;
  /** False when Infobip answered but did not deliver (e.g. lookup said not reachable). */
  delivered: boolean;
  /** Set when an earlier attempt's answer was lost and the activity reconciled with Infobip. */
  recovered?: 'NOT_SENT_BEFORE' | 'SENT_BEFORE_PIN_UNKNOWN';
  /** With `SENT_BEFORE_PIN_UNKNOWN`: how many earlier PINs went out whose answers were lost. */
  lostMessages?: number;
  /** Infobip's `externalMessageId` of a tracked message: the `messageId` of its delivery reports. */
  messageId?: string;
  /** ISO 3166-1 alpha-2 country of a phone destination (for metrics labels), when known. */
  country?: string;
}

export interface ResendPinInput {
  application: string;
  channel: Channel;
  pinId: string;
  placeholders?: Record<string, string>;
  /** Ask for delivery reports (SMS and voice resends). @default false */
  trackDelivery?: boolean;
}

export interface VerifyPinInput {
  pinId: string;
  code: string;
  /**
   * Application name (optional, additive). A retried verify whose first answer was lost
   * confirms a success with Infobip's verification status instead of reporting the consumed
   * PIN as `NO_MORE_PIN_ATTEMPTS`; with the name it asks about this application only, without
   * it about every declared one.
   */
  application?: string;
}

export type PinError = 'WRONG_PIN' | 'TTL_EXPIRED' | 'NO_MORE_PIN_ATTEMPTS';

export interface VerifyPinResult {
  verified: boolean;
  attemptsRemaining: number;
  pinError?: PinError;
}

export interface WebhookInput {
  application: string;
  url: string;
  secretRef?: string;
  /** Body to sign and POST (never carries a code or a destination in clear). */
  body: Record<string, unknown>;
}

export interface WebhookResult {
  httpStatus: number;
}

/**
 * Where the send and verify activities report what happened, for the abuse guard's pumping
 * breaker (the worker's `GuardReporter` aggregates per prefix and feeds the guard workflow).
 * Calls must be cheap and never throw: they run on every send and check.
 */
export interface GuardFeedSink {
  /** A PIN went out to `to` (E.164; e-mail addresses are ignored). */
  sent(application: string, to: string): void;
  /** A code was verified for `msisdn` (Infobip's answer: digits, with or without `+`). */
  verified(application: string, msisdn: string): void;
}

/** What `countLockouts` counts: earlier lockouts of one destination of one application. */
export interface CountLockoutsInput {
  application: string;
  /** Keyed hash of the destination (`OtpDestinationHash`). */
  destinationHash: string;
  /** How far back (seconds from now) a lockout counts. */
  windowSeconds: number;
}

/** Activities the verification workflow calls. */
export interface OtpActivities {
  lookupNumber(input: LookupInput): Promise<LookupResult>;
  sendPin(input: SendPinInput): Promise<SendPinResult>;
  resendPin(input: ResendPinInput): Promise<SendPinResult>;
  verifyPin(input: VerifyPinInput): Promise<VerifyPinResult>;
  deliverWebhook(input: WebhookInput): Promise<WebhookResult>;
  /**
   * Earlier verifications of a destination that ended LOCKED within a window (a visibility
   * count), so that a repeated lockout lasts longer. The running flow itself is not counted.
   */
  countLockouts(input: CountLockoutsInput): Promise<number>;
}
