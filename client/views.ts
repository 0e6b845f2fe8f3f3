/** What `OtpClient.status` answers: a verification's state, built from the live query or the final result. */
import type { WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { OTP_APPLICATION, OTP_CHANNEL, OTP_STATUS } from '../domain/constants';
import { REASON_OF_STATUS, REASONS, type ReasonCode } from '../domain/reasons';
import type {
  Channel,
  CheckResult,
  DeliveryView,
  TimelineEntry,
  VerificationResult,
  VerificationState,
  VerificationStatus,
} from '../domain/types';

/** A verification as people and programs see it. Never the destination in clear, never the PIN. */
export interface VerificationView {
  id: string;
  status: VerificationStatus;
  /** Why it ended, in a sentence (never Infobip's own words). */
  reason?: string;
  /** Why it ended, as a stable code (`domain/reasons.ts`). */
  reasonCode?: ReasonCode;
  application: string;
  channel: Channel;
  /** Masked destination (`+41•••••6727`). */
  destination: string;
  attemptsRemaining?: number;
  resendsRemaining?: number;
  /** ISO 8601; when the code stops being accepted. */
  expiresAt?: string;
  /** ISO 8601; when a resend is next allowed. */
  nextResendAt?: string;
  lastCheck?: CheckResult;
  /** Delivery of the newest message, from Infobip's delivery reports. */
  delivery?: DeliveryView;
  /** ISO 8601; while a LOCKED verification keeps its destination locked (new starts are refused). */
  lockedUntil?: string;
  startedAt: string;
  closedAt?: string;
  timeline?: TimelineEntry[];
}

/** The parts of a workflow description a view needs. */
export type DescribedFlow = Pick<
  WorkflowExecutionInfo,
  'workflowId' | 'memo' | 'typedSearchAttributes' | 'startTime' | 'closeTime' | 'status'
>;

function masked(info: DescribedFlow): string {
  const value = info.memo?.destination;
  return typeof value === 'string' ? value : '';
}

/**
 * An ending's reason as callers see it. Flows recorded before reason codes wrote Infobip's
 * words into some reasons: those get the code of their status and its sentence (a cancel keeps
 * the words its caller gave).
 */
function shownReason(
  status: VerificationStatus,
  code: ReasonCode | undefined,
  reason: string | undefined,
): { reason?: string; reasonCode?: ReasonCode } {
  if (code) return { reasonCode: code, ...(reason ? { reason } : {}) };
  const fallback = REASON_OF_STATUS[status];
  if (!fallback) return {};
  return { reasonCode: fallback, reason: status === 'CANCELLED' && reason ? reason : REASONS[fallback] };
}

/** A timeline as callers see it: entries of older flows without Infobip's words (see `shownReason`). */
export function shownTimeline(timeline: TimelineEntry[]): TimelineEntry[] {
  return timeline.map((e) => {
    if (e.kind === 'SEND' && e.infobipStatus.startsWith('FAILED:')) return { ...e, infobipStatus: 'FAILED' };
    if (e.kind === 'LOOKUP' && e.outcome === 'ERROR' && e.reason && !(e.reason in REASONS))
      return { ...e, reason: 'LOOKUP_UNAVAILABLE' };
    if (e.kind === 'STATUS' && !e.reasonCode) {
      const { reason: _old, ...rest } = e;
      return { ...rest, ...shownReason(e.status, undefined, e.reason) };
    }
    return e;
  });
}

/** View of a running flow from its `status` query. */
export function runningView(info: DescribedFlow, state: VerificationState): VerificationView {
  return {
    id: info.workflowId,
    status: state.status,
    ...shownReason(state.status, state.reasonCode, state.reason),
    application: state.application,
    channel: state.channel,
    destination: state.destinationMasked,
    attemptsRemaining: state.attemptsRemaining,
    resendsRemaining: state.resendsRemaining,
    ...(state.expiresAt ? { expiresAt: state.expiresAt } : {}),
    ...(state.nextResendAt ? { nextResendAt: state.nextResendAt } : {}),
    ...(state.lastCheck ? { lastCheck: state.lastCheck } : {}),
    ...(state.delivery ? { delivery: state.delivery } : {}),
    ...(state.lockedUntil ? { lockedUntil: state.lockedUntil } : {}),
    startedAt: info.startTime.toISOString(),
    timeline: shownTimeline(state.timeline),
  };
}

/**
 * View of a closed flow from its stored result (no worker needed). A flow that failed or was
 * terminated by an operator shows as `FAILED` / `CANCELLED`.
 */
export async function closedView(info: DescribedFlow, handle: WorkflowHandle): Promise<VerificationView> {
  const base = {
    id: info.workflowId,
    application: info.typedSearchAttributes.get(OTP_APPLICATION) ?? '',
    channel: (info.typedSearchAttributes.get(OTP_CHANNEL) ?? 'SMS') as Channel,
    destination: masked(info),
    startedAt: info.startTime.toISOString(),
    ...(info.closeTime ? { closedAt: info.closeTime.toISOString() } : {}),
  };
  switch (info.status.name) {
    case 'COMPLETED': {
      const result = (await handle.result()) as VerificationResult;
      const checks = result.timeline.filter((t) => t.kind === 'CHECK');
      const last = checks.at(-1);
      const lastCheck = last && last.kind === 'CHECK' ? checkOf(last) : undefined;
      return {
        ...base,
        status: result.status,
        ...shownReason(result.status, result.reasonCode, result.reason),
        channel: result.channel,
        ...(last && last.kind === 'CHECK' ? { attemptsRemaining: last.attemptsRemaining } : {}),
        ...(lastCheck ? { lastCheck } : {}),
        ...(result.delivery ? { delivery: result.delivery } : {}),
        timeline: shownTimeline(result.timeline),
      };
    }
    case 'TERMINATED':
    case 'CANCELLED':
      return { ...base, status: 'CANCELLED', reason: `${info.status.name.toLowerCase()} by an operator` };
    default:
      return { ...base, status: 'FAILED', reason: `workflow ${info.status.name.toLowerCase()}` };
  }
}

/** The answer a check gave, from its timeline entry (an `ERROR` check answered nothing). */
function checkOf(entry: Extract<TimelineEntry, { kind: 'CHECK' }>): CheckResult | undefined {
  if (entry.outcome === 'ERROR') return undefined;
  const status: VerificationStatus = entry.outcome === 'WRONG_CODE' ? 'PENDING' : entry.outcome;
  return { status, verified: entry.outcome === 'VERIFIED', attemptsRemaining: entry.attemptsRemaining };
}

/** What the search attributes say about a running flow whose query could not be answered (no worker yet). */
export function runningFallback(info: DescribedFlow, application: string): VerificationView {
  return {
    id: info.workflowId,
    status: (info.typedSearchAttributes.get(OTP_STATUS) ?? 'LOOKUP') as VerificationStatus,
    application,
    channel: (info.typedSearchAttributes.get(OTP_CHANNEL) ?? 'SMS') as Channel,
    destination: masked(info),
    startedAt: info.startTime.toISOString(),
  };
}
