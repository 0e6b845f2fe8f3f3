/**
 * Types shared by the verification workflow, its callers and the activities.
 * Pure data only: this file is part of the deterministic workflow bundle too.
 */
import type { LockoutPolicy } from './guard-types';
import type { ReasonCode } from './reasons';

/** How a PIN reaches a person. */
export type Channel = 'SMS' | 'VOICE' | 'EMAIL';
export const CHANNELS: readonly Channel[] = ['SMS', 'VOICE', 'EMAIL'];

/** States of a verification; the last seven are terminal. */
export type VerificationStatus =
  | 'LOOKUP'
  | 'SENDING'
  | 'PENDING'
  | 'VERIFIED'
  | 'EXPIRED'
  | 'LOCKED'
  | 'CANCELLED'
  | 'UNDELIVERABLE'
  | 'RATE_LIMITED'
  | 'FAILED';

/** Every status, in the order a flow passes through them. */
export const VERIFICATION_STATUSES: readonly VerificationStatus[] = [
  'LOOKUP',
  'SENDING',
  'PENDING',
  'VERIFIED',
  'EXPIRED',
  'LOCKED',
  'CANCELLED',
  'UNDELIVERABLE',
  'RATE_LIMITED',
  'FAILED',
];

/** The statuses a flow ends in: every status after PENDING. */
export const TERMINAL_STATUSES: readonly VerificationStatus[] = VERIFICATION_STATUSES.slice(
  VERIFICATION_STATUSES.indexOf('PENDING') + 1,
);

/** Whether the flow asks Number Lookup first, and what a failed lookup does. */
export type LookupPolicy = 'REQUIRED' | 'ADVISORY' | 'OFF';

/** Infobip PIN alphabets. */
export type PinType = 'NUMERIC' | 'ALPHA' | 'HEX' | 'ALPHANUMERIC';

/** One step of an application's automatic fallback plan. */
export interface FallbackStep {
  /** Channel of the new PIN. */
  channel: Channel;
  /** Seconds after the previous send without a correct code. */
  afterSeconds: number;
}

/** Per-application policy, copied into every verification's input so a flow never changes under it. */
export interface VerificationPolicy {
  lookup: LookupPolicy;
  /** Seconds a verification stays PENDING from its first send. */
  ttlSeconds: number;
  /** Wrong codes allowed for the whole verification, across resends and fallbacks. */
  maxAttempts: number;
  /** Seconds between two sends (resend or fallback). */
  resendCooldownSeconds: number;
  /** Resends a caller may ask for. */
  maxResends: number;
  /** Automatic fallback channels, in order. */
  fallback: FallbackStep[];
  /** ISO 3166-1 alpha-2 codes; empty means any country. */
  allowedCountries: string[];
  /** Alphabet and length of the PIN, for validating codes before they reach Infobip. */
  pin: { type: PinType; length: number };
  /** Switch SMS to voice when lookup says the number cannot take SMS. */
  voiceForLandlines: boolean;
  /**
   * Seconds a send or lookup keeps retrying through an Infobip outage before the flow gives up
   * as FAILED. @default 120
   */
  retryBudgetSeconds?: number;
  /**
   * Ask Infobip for delivery reports of SMS and voice messages (`trackDelivery`), so an
   * undeliverable message moves the flow to its next fallback step at once. @default true
   */
  trackDelivery?: boolean;
  /**
   * How long a verification that ended LOCKED keeps its destination locked (it stays open and
   * refuses starts). Absent: it closes at once, as before lockouts existed.
   */
  lockout?: LockoutPolicy;
  /**
   * Seconds a code check may take end to end while Infobip does not answer (errors or silence):
   * then it answers CHECK_UNAVAILABLE and no attempt is counted. @default 5
   */
  checkTimeoutSeconds?: number;
}

/** Signed webhook called on every terminal state. */
export interface WebhookTarget {
  url: string;
  /** Name of the secret the worker signs with (the secret itself never enters history). */
  secretRef?: string;
}

/** What a verification is started with. */
export interface VerificationInput {
  /** Application name as declared in the configuration (resolved to Infobip IDs by the activities). */
  application: string;
  /** E.164 phone number (`+41793026727`) or e-mail address. */
  destination: string;
  /** First channel. */
  channel: Channel;
  /** Template language (`en`, `de`, …); the application's default when absent. */
  language?: string;
  /** Values for the template's `{{name}}` placeholders (never `pin`). */
  placeholders?: Record<string, string>;
  /** E-mail address for an EMAIL fallback step of a phone verification. */
  email?: string;
  policy: VerificationPolicy;
  /** Masked destination for people (`+41•••••6727`). */
  destinationMasked: string;
  /** Keyed hash of the destination, for search. */
  destinationHash: string;
  webhook?: WebhookTarget;
}

/** What a start asks of the flow it reaches (the `start` Update, sent with the workflow's start). */
export interface StartRequest {
  /**
   * Random ID of this start call. The call that starts the flow also puts it in the flow's
   * memo (`START_REQUEST_MEMO`), so the flow tells its own start from one that attached.
   */
  requestId: string;
  /** The flow must be of this application and destination: a caller-chosen ID may be taken. */
  application: string;
  destinationHash: string;
}

/** Answer to a start, once the first send is known. */
export interface StartAnswer {
  /** `PENDING` when the PIN went out; the terminal status when the flow ended before. */
  status: VerificationStatus;
  /** Why the flow ended, in a sentence (see `domain/reasons.ts`). */
  reason?: string;
  /** Why the flow ended, as a stable code. */
  reasonCode?: ReasonCode;
  /** RATE_LIMITED: when Infobip said a send may succeed again (ISO 8601), if it said. */
  retryAt?: string;
  channel: Channel;
  destinationMasked: string;
  /** ISO 8601; present once a PIN went out. */
  expiresAt?: string;
  /** True for the call that started this flow, false for one that attached to it. */
  created: boolean;
}

/** Answer to a code check. Never contains the PIN. */
export interface CheckResult {
  status: VerificationStatus;
  verified: boolean;
  attemptsRemaining: number;
}

/** Answer to a resend request. */
export interface ResendResult {
  accepted: boolean;
  status: VerificationStatus;
  channel: Channel;
  resendsRemaining: number;
  /** When the next resend is allowed (ISO 8601), absent when none is left. */
  nextResendAt?: string;
  /** Why a resend was refused. */
  reason?: 'COOLDOWN' | 'MAX_RESENDS' | 'NOT_PENDING' | 'RATE_LIMITED';
}

/** How a message ended, as Infobip's delivery report says (its status group). */
export type DeliveryStatus = 'DELIVERED' | 'UNDELIVERABLE' | 'REJECTED' | 'EXPIRED';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'DELIVERED',
  'UNDELIVERABLE',
  'REJECTED',
  'EXPIRED',
];

/**
 * One delivery report as the ingress hands it to a flow (the `deliveryReport` signal). It
 * carries no destination: the flow matches `messageId` against the messages it sent.
 */
export interface DeliveryReportInput {
  /** The report's `messageId`: the send's `externalMessageId`. */
  messageId: string;
  /** Infobip's status group; the flow acts on final ones only (PENDING and UNKNOWN are ignored). */
  status: DeliveryStatus | 'PENDING' | 'UNKNOWN';
  /** Infobip's status name, e.g. `DELIVERED_TO_HANDSET`. */
  statusName?: string;
  /** Infobip's error name, e.g. `EC_ABSENT_SUBSCRIBER`; absent for `NO_ERROR`. */
  errorName?: string;
  /** Whether sending to this destination again can never help (`error.permanent`). */
  permanent?: boolean;
  /** Infobip's `sentAt` and `doneAt` (ISO 8601, Infobip's clock). */
  sentAt?: string;
  doneAt?: string;
}

/** The current message's delivery, as `status`, the Web UI and the result show it. */
export interface DeliveryView {
  channel: Channel;
  /** `PENDING` until its report came; `UNTRACKED` when no report can come (e-mail, tracking off). */
  status: DeliveryStatus | 'PENDING' | 'UNTRACKED';
  /** Infobip's status or error name of a report, e.g. `EC_ABSENT_SUBSCRIBER`. */
  reason?: string;
  /** When Infobip finished with the message (the report's `doneAt`), ISO 8601. */
  at?: string;
}

/** One entry of a verification's timeline. */
export type TimelineEntry =
  | {
      kind: 'LOOKUP';
      at: string;
      outcome: string;
      /** The lookup's status and error names; the reason code when the lookup failed (`ERROR`). */
      reason?: string;
      network?: string;
      country?: string;
      ported?: boolean;
      roaming?: boolean;
    }
  | {
      kind: 'SEND';
      at: string;
      channel: Channel;
      /** Infobip's status of the message; `FAILED` when the send failed (`reasonCode` says why). */
      infobipStatus: string;
      reasonCode?: ReasonCode;
      recovered?: string;
      /** PINs that reached the person before this one but whose answers (and pinIds) were lost. */
      lostMessages?: number;
      pinIdKnown: boolean;
      /** Infobip's `externalMessageId`: the `messageId` of this message's delivery reports. */
      messageId?: string;
    }
  | { kind: 'RESEND'; at: string; channel: Channel; infobipStatus: string; messageId?: string }
  | {
      kind: 'CHECK';
      at: string;
      outcome: 'VERIFIED' | 'WRONG_CODE' | 'EXPIRED' | 'LOCKED' | 'ERROR';
      attemptsRemaining: number;
    }
  | { kind: 'FALLBACK'; at: string; from: Channel; to: Channel }
  | {
      kind: 'DELIVERY';
      /** When the report reached the flow. */
      at: string;
      channel: Channel;
      /** The message's `messageId` (its SEND or RESEND entry has the same). */
      messageId: string;
      status: DeliveryStatus;
      /** Infobip's error name, or its status name when there is no error. */
      reason?: string;
      /** Infobip's times of the message (its clock). */
      sentAt?: string;
      doneAt?: string;
    }
  | {
      kind: 'LOCKOUT';
      at: string;
      /** ISO 8601: starts for the destination are refused until then. */
      until: string;
      /** Earlier lockouts of the destination within the lockout window, which made this one longer. */
      earlierLockouts: number;
    }
  | { kind: 'STATUS'; at: string; status: VerificationStatus; reason?: string; reasonCode?: ReasonCode }
  | {
      kind: 'WEBHOOK';
      at: string;
      /**
       * `SCHEDULED`: handed to the webhook workflow `deliveryWorkflowId`, whose result is the
       * delivery's outcome. `DELIVERED` / `FAILED`: delivered by the verification itself (flows
       * started before the webhook workflow existed), or `FAILED` when it could not be handed over.
       */
      outcome: 'SCHEDULED' | 'DELIVERED' | 'FAILED';
      httpStatus?: number;
      deliveryWorkflowId?: string;
    };

/** Live view returned by the `status` query. */
export interface VerificationState {
  status: VerificationStatus;
  reason?: string;
  reasonCode?: ReasonCode;
  application: string;
  channel: Channel;
  destinationMasked: string;
  attemptsRemaining: number;
  resendsRemaining: number;
  /** ISO 8601; absent until the first PIN went out. */
  expiresAt?: string;
  nextResendAt?: string;
  /** Outcome of the last check (from `verify` or `submitCode`). */
  lastCheck?: CheckResult;
  /** Delivery of the newest message; absent until a message went out. */
  delivery?: DeliveryView;
  /** ISO 8601; while a LOCKED flow keeps its destination locked. */
  lockedUntil?: string;
  timeline: TimelineEntry[];
}

/** Workflow result: the terminal state and its story. */
export interface VerificationResult {
  status: VerificationStatus;
  reason?: string;
  reasonCode?: ReasonCode;
  verified: boolean;
  channel: Channel;
  /** Delivery of the newest message; absent when none went out (and in flows before delivery reports). */
  delivery?: DeliveryView;
  timeline: TimelineEntry[];
}
