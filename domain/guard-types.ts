/**
 * The abuse guard's vocabulary: lockouts, velocity limits, the pumping breaker's settings, and
 * the state its workflow keeps and shows. Pure data, shared by the workflows, the worker's
 * feed, the client library, the HTTP API and the CLI.
 */

/**
 * How long a destination stays locked after a verification ended `LOCKED`: the flow stays
 * open for the lockout and answers starts that reach it with `OTP_DESTINATION_LOCKED`.
 */
export interface LockoutPolicy {
  /** Seconds of the first lockout; 0 turns lockouts off. */
  seconds: number;
  /** Each earlier lockout of the destination within `windowSeconds` multiplies the lockout by this. */
  growthFactor: number;
  /** Longest lockout. */
  maxSeconds: number;
  /** How far back earlier lockouts of the destination count. */
  windowSeconds: number;
}

/** At most `max` verifications per `windowSeconds` (a sliding window). */
export interface VelocityLimit {
  max: number;
  windowSeconds: number;
}

/** Velocity limits checked before a verification starts; an absent one is not checked. */
export interface VelocityLimits {
  /** Verifications of one destination (a visibility count over `OtpDestinationHash`). */
  perDestination?: VelocityLimit;
  /** PINs sent to one prefix (the breaker's shared counts). */
  perPrefix?: VelocityLimit;
  /** Verifications started for one caller-supplied `clientIp` (a visibility count over `OtpContext`). */
  perClientIp?: VelocityLimit;
  /** Verifications started for one caller-supplied `sessionId` (a visibility count over `OtpContext`). */
  perSession?: VelocityLimit;
}

/** Settings of the SMS-pumping breaker of one application. */
export interface BreakerSettings {
  enabled: boolean;
  /** National digits after the country calling code that make a prefix (`+44` + 3 → `+44791`). */
  prefixDigits: number;
  /** Width of one counting bucket of the sliding windows. */
  bucketSeconds: number;
  /** Window over which conversion (verified ÷ sent) is judged. */
  windowSeconds: number;
  /** Sends younger than this are not judged yet: a person may still be typing the code. */
  verifyGraceSeconds: number;
  /** Judged sends a prefix needs before its conversion can block it. */
  minVolume: number;
  /** Conversion under which a prefix with `minVolume` judged sends is blocked (0–1). */
  minConversion: number;
  /** Window of the send-rate rule. */
  spikeWindowSeconds: number;
  /** Sends in the spike window above this multiple of the prefix's baseline block it. */
  spikeFactor: number;
  /** Fewest sends in the spike window that can block a prefix (all a prefix without baseline may send). */
  minSpikeVolume: number;
  /** Half-life of the prefix's send-rate baseline (an exponentially weighted average). */
  baselineHalfLifeSeconds: number;
  /** How long an automatic block lasts. */
  coolOffSeconds: number;
  /** Prefixes the breaker never blocks (`+41`, `+4179`). */
  allowPrefixes: string[];
  /** Numbers (E.164) no guard rule refuses and the breaker does not count: your own test phones. */
  testNumbers: string[];
}

/** A webhook the guard signs its alerts for (the application's outcome webhook). */
export interface AlertTarget {
  url: string;
  secretRef?: string;
}

/** What the guard workflow of an application runs with; each feed brings the latest. */
export interface GuardSettings {
  breaker: BreakerSettings;
  perPrefix?: VelocityLimit;
  alert?: AlertTarget;
}

/** An application's whole guard, defaults applied. */
export interface GuardPolicy {
  lockout: LockoutPolicy;
  velocity: VelocityLimits;
  breaker: BreakerSettings;
}

/** Why a prefix is blocked: the conversion rule, the send-rate rule, or an operator. */
export type GuardRule = 'CONVERSION' | 'SPIKE' | 'MANUAL';

/** A blocked prefix: why, since and until when. */
export interface PrefixBlock {
  prefix: string;
  rule: GuardRule;
  /** ISO 8601. */
  since: string;
  /** ISO 8601: when the block lifts by itself. */
  until: string;
  /** The rule's figures in a sentence, or the operator's reason. */
  reason: string;
  /** Sends judged (CONVERSION) or sent in the spike window (SPIKE). */
  sends?: number;
  verified?: number;
  conversion?: number;
  /** The rule's window. */
  windowSeconds?: number;
  /** Sends per spike window the prefix's baseline expected (SPIKE). */
  baseline?: number;
  /** Who blocked or unblocked it by hand. */
  by?: string;
}

/** A prefix over its velocity limit: starts to it are refused until `until`. */
export interface PrefixLimit {
  prefix: string;
  sends: number;
  max: number;
  windowSeconds: number;
  /** ISO 8601. */
  until: string;
}

/** One prefix's recent figures, for operators. */
export interface PrefixFigures {
  prefix: string;
  /** Sends in the conversion window. */
  sends: number;
  verified: number;
  /** verified ÷ judged sends, when any were judged. */
  conversion?: number;
  /** Sends in the spike window, and what the baseline expected there. */
  recentSends: number;
  baseline: number;
}

/** The guard's state as the `guardView` query answers it. */
export interface GuardView {
  application: string;
  /** ISO 8601: the guard's clock when it answered. */
  at: string;
  blocks: PrefixBlock[];
  limited: PrefixLimit[];
  /** The busiest prefixes of the conversion window (at most 20). */
  prefixes: PrefixFigures[];
  /** Recent unblocks (at most 20), newest first: who and why. */
  lifted: (PrefixBlock & { liftedAt: string; liftedBy?: string; liftReason?: string })[];
}

/** Counts of one prefix since a reporter's last feed. */
export interface PrefixCounts {
  prefix: string;
  sends: number;
  verified: number;
}

/** The `guardFeed` signal: one worker's aggregated counts, at most about once a second. */
export interface GuardFeed {
  /** The reporting worker process. */
  reporter: string;
  settings: GuardSettings;
  counts: PrefixCounts[];
}

/** The `guardBlock` update: an operator blocks a prefix. */
export interface BlockRequest {
  prefix: string;
  seconds: number;
  reason: string;
  by: string;
}

/** The `guardUnblock` update: an operator lifts a block. */
export interface UnblockRequest {
  prefix: string;
  reason?: string;
  by: string;
}

/** What the guard workflow is started (and continued) with. */
export interface GuardInput {
  application: string;
  settings: GuardSettings;
  /** State carried over a continue-as-new. */
  carried?: GuardCarry;
  /** History events after which the guard continues as new. @default 2000 */
  historyLimit?: number;
}

/** The guard's state in a serialisable form. */
export interface GuardCarry {
  /** [prefix, baseline, baselineThrough, [[bucket, sends, verified], …]] */
  prefixes: [string, number, number, [number, number, number][]][];
  blocks: PrefixBlock[];
  lifted: GuardView['lifted'];
}
