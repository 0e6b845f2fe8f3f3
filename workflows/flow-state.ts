/**
 * What a verification knows about itself, how it records what happened (timeline, search
 * attributes, metrics) and how it shows it (the `status` query, the Web UI's details, the
 * result). `FlowPhases` adds the phases that change it, `VerificationFlow` the message handlers.
 */
import { metricMeter, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { MetricCounter, MetricHistogram } from '@temporalio/common';
import type { SendPinResult } from '../activities/types';
import { failureType, lostAnswers } from './activity-errors';
import { DeliveryLedger, deliveryLatencyMs, type SentMessage } from './delivery';
import { OTP_CHANNEL, OTP_STATUS } from '../domain/constants';
import { FailureTypes } from '../domain/failures';
import { REASONS, reasonOfFailure, type ReasonCode } from '../domain/reasons';
import type {
  Channel,
  CheckResult,
  ResendResult,
  StartAnswer,
  TimelineEntry,
  VerificationInput,
  VerificationResult,
  VerificationState,
  VerificationStatus,
} from '../domain/types';
import { TERMINAL_STATUSES } from '../domain/types';

/** Workflow time as ISO 8601. */
export const iso = (ms = Date.now()) => new Date(ms).toISOString();

type CheckOutcome = Extract<TimelineEntry, { kind: 'CHECK' }>['outcome'];

const histogram = (name: string, description: string): MetricHistogram =>
  metricMeter.createHistogram(name, 'int', 'ms', description);

/** A verification's state, its records and its views. */
export class FlowState {
  // Widened on purpose: handlers change it, which TypeScript's narrowing cannot see.
  status = 'LOOKUP' as VerificationStatus;
  protected reason: string | undefined;
  protected reasonCode: ReasonCode | undefined;
  /** RATE_LIMITED: when Infobip said a send may succeed again (Unix ms), if it said. */
  protected retryAt: number | undefined;
  protected channel: Channel;
  protected pinId: string | null = null;
  protected wrongCodes = 0;
  protected resends = 0;
  protected lastSendAt = 0;
  protected expiresAt = 0;
  protected fallbackIndex = 0;
  protected lastCheck: CheckResult | undefined;
  /** While a LOCKED flow keeps its destination locked: until when (Unix ms); 0 otherwise. */
  protected lockedUntil = 0;
  protected readonly timeline: TimelineEntry[] = [];
  protected readonly input: VerificationInput;
  protected readonly destinationKind: 'phone' | 'email';
  /** The messages sent and their delivery reports. */
  protected readonly deliveries: DeliveryLedger;
  /** Country of the destination for metrics labels (from the first send's answer). */
  private country: string | undefined;
  private readonly outcomes: MetricCounter;
  private readonly sends: MetricCounter;
  private firstDelivered = false;

  constructor(input: VerificationInput, destinationKind: 'phone' | 'email') {
    this.input = input;
    this.destinationKind = destinationKind;
    this.channel = input.channel;
    // otpflow's own metrics, exported through the worker Runtime's metrics endpoint; the SDK
    // does not emit them while replaying, so each counts once per real event.
    this.outcomes = metricMeter.createCounter(
      'otpflow_verification_outcomes',
      'verifications',
      'Verifications ended, by status',
    );
    this.sends = metricMeter.createCounter(
      'otpflow_pins_sent',
      'messages',
      'PIN messages sent (sends and resends), by channel',
    );
    metricMeter
      .createCounter('otpflow_verifications_started', 'verifications', 'Verifications started')
      .add(1, { application: input.application });
    this.deliveries = new DeliveryLedger((message, current) => this.recordDelivery(message, current));
  }

  /** Whether sends ask Infobip for delivery reports. */
  protected tracksDelivery(): boolean {
    return this.input.policy.trackDelivery !== false;
  }

  isTerminal(): boolean {
    return TERMINAL_STATUSES.includes(this.status);
  }

  protected attemptsRemaining(): number {
    return Math.max(this.input.policy.maxAttempts - this.wrongCodes, 0);
  }

  protected resendsRemaining(): number {
    return Math.max(this.input.policy.maxResends - this.resends, 0);
  }

  protected nextResendAt(): number | undefined {
    return this.resendsRemaining() > 0 && this.lastSendAt > 0
      ? this.lastSendAt + this.input.policy.resendCooldownSeconds * 1000
      : undefined;
  }

  /** Shows the state in the Web UI's current details. */
  publish(): void {
    const { maxResends } = this.input.policy;
    const lines = [
      `**${this.status}**${this.reason ? ` — ${this.reason}` : ''}`,
      `channel: ${this.channel} · attempts left: ${this.attemptsRemaining()} · resends: ${this.resends}/${maxResends}`,
    ];
    if (this.expiresAt) lines.push(`expires: ${iso(this.expiresAt)}`);
    const delivery = this.deliveries.view();
    if (delivery && delivery.status !== 'UNTRACKED') {
      const why = delivery.reason && delivery.status !== 'DELIVERED' ? ` (${delivery.reason})` : '';
      lines.push(
        `delivery: ${delivery.channel} ${delivery.status}${why}${delivery.at ? ` at ${delivery.at}` : ''}`,
      );
    }
    if (this.lockedUntil) lines.push(`destination locked until: ${iso(this.lockedUntil)}`);
    setCurrentDetails(lines.join('\n\n'));
  }

  /**
   * Moves to `next`; an ending carries its reason code and sentence (`words` replaces the
   * sentence where a person gave one: a cancel's reason).
   */
  protected setStatus(next: VerificationStatus, code?: ReasonCode, words?: string): void {
    const changed = next !== this.status;
    const why = words ?? (code ? REASONS[code] : undefined);
    this.status = next;
    this.reason = why;
    this.reasonCode = code;
    // Only states an operator filters by are indexed; LOOKUP is set at start by the client
    // and SENDING is transient, so they cost no history event.
    if (changed && next !== 'SENDING') upsertSearchAttributes([{ key: OTP_STATUS, value: next }]);
    if (this.isTerminal()) {
      this.timeline.push({ kind: 'STATUS', at: iso(), status: next, reason: why, reasonCode: code });
      this.outcomes.add(1, { application: this.input.application, status: next });
    }
    this.publish();
  }

  protected setChannel(next: Channel): void {
    if (next === this.channel) return;
    this.channel = next;
    upsertSearchAttributes([{ key: OTP_CHANNEL, value: next }]);
  }

  protected recordSend(ch: Channel, result: SendPinResult, kind: 'SEND' | 'RESEND'): void {
    this.lastSendAt = Date.now();
    this.country ??= result.country;
    const { infobipStatus, messageId } = result;
    const tracked = messageId ? { messageId } : {};
    if (kind === 'RESEND') {
      this.timeline.push({ kind: 'RESEND', at: iso(), channel: ch, infobipStatus, ...tracked });
    } else {
      this.timeline.push({
        kind: 'SEND',
        at: iso(),
        channel: ch,
        infobipStatus,
        pinIdKnown: result.pinId !== null,
        ...(result.recovered ? { recovered: result.recovered } : {}),
        ...(result.lostMessages ? { lostMessages: result.lostMessages } : {}),
        ...tracked,
      });
    }
    if (!result.delivered) return;
    this.sends.add(1, { application: this.input.application, channel: ch });
    // After the entry: a report that arrived before this answer is recorded now, after it.
    const lost = result.recovered === 'SENT_BEFORE_PIN_UNKNOWN' ? (result.lostMessages ?? 1) : 0;
    this.deliveries.sent(ch, messageId, this.lastSendAt, lost);
  }

  /** Records a message's first final delivery report: timeline, metrics, the Web UI. */
  private recordDelivery(message: SentMessage, current: boolean): void {
    const report = message.report!;
    const { channel, messageId = '' } = message;
    const reason = report.errorName ?? report.statusName;
    this.timeline.push({
      kind: 'DELIVERY',
      at: iso(),
      channel,
      messageId,
      status: report.status,
      ...(reason ? { reason } : {}),
      ...(report.sentAt ? { sentAt: report.sentAt } : {}),
      ...(report.doneAt ? { doneAt: report.doneAt } : {}),
    });
    this.countDelivery(message);
    if (current) this.publish();
  }

  /**
   * Delivery metrics, by channel and the destination's country (never a number): outcomes,
   * Infobip's delivery latency, and start → first delivered message. The SDK does not emit
   * them while replaying, so each report counts once.
   */
  private countDelivery(message: SentMessage): void {
    const report = message.report!;
    const labels = { channel: message.channel, country: this.country ?? 'unknown' };
    metricMeter
      .createCounter(
        'otpflow_delivery_reports',
        'messages',
        'Final delivery reports, by status, channel and country',
      )
      .add(1, { ...labels, status: report.status });
    const latency = deliveryLatencyMs(message, Date.now());
    if (latency !== undefined) {
      histogram(
        'otpflow_delivery_latency',
        'Infobip send → final delivery status, by status, channel and country',
      ).record(Math.round(latency), { ...labels, status: report.status });
    }
    if (report.status === 'DELIVERED' && latency !== undefined && !this.firstDelivered) {
      this.firstDelivered = true;
      // Workflow clock to the send, Infobip's clock from there to the handset.
      const toSend = message.sentAtMs - workflowInfo().startTime.getTime();
      histogram('otpflow_time_to_first_delivered', 'Verification start → first message delivered').record(
        Math.max(Math.round(toSend + latency), 0),
        labels,
      );
    }
  }

  protected recordFailedSend(ch: Channel, err: unknown): void {
    if (failureType(err) === FailureTypes.SEND_ANSWERS_LOST) {
      // PINs reached the person but no pinId is known: record the messages they got.
      const lost = lostAnswers(err);
      this.timeline.push({
        kind: 'SEND',
        at: iso(),
        channel: ch,
        infobipStatus: 'ANSWERS_LOST',
        recovered: 'SENT_BEFORE_PIN_UNKNOWN',
        pinIdKnown: false,
        ...(lost ? { lostMessages: lost } : {}),
      });
      this.deliveries.lost(lost ?? 2);
    } else {
      // Infobip's own words stay in the activity's failure (history, Web UI) and the logs.
      const reasonCode = reasonOfFailure(failureType(err));
      this.timeline.push({
        kind: 'SEND',
        at: iso(),
        channel: ch,
        infobipStatus: 'FAILED',
        reasonCode,
        pinIdKnown: false,
      });
    }
  }

  protected recordCheck(outcome: CheckOutcome): void {
    this.timeline.push({ kind: 'CHECK', at: iso(), outcome, attemptsRemaining: this.attemptsRemaining() });
  }

  /** The `status` query's answer. */
  state(): VerificationState {
    const nextResendAt = this.nextResendAt();
    return {
      status: this.status,
      reason: this.reason,
      reasonCode: this.reasonCode,
      application: this.input.application,
      channel: this.channel,
      destinationMasked: this.input.destinationMasked,
      attemptsRemaining: this.attemptsRemaining(),
      resendsRemaining: this.resendsRemaining(),
      expiresAt: this.expiresAt ? iso(this.expiresAt) : undefined,
      nextResendAt: this.status === 'PENDING' && nextResendAt ? iso(nextResendAt) : undefined,
      lastCheck: this.lastCheck,
      ...this.deliveryField(),
      ...(this.lockedUntil ? { lockedUntil: iso(this.lockedUntil) } : {}),
      timeline: this.timeline,
    };
  }

  private deliveryField(): { delivery?: VerificationState['delivery'] } {
    const delivery = this.deliveries.view();
    return delivery ? { delivery } : {};
  }

  /** The workflow's result. */
  result(): VerificationResult {
    const { status, reason, reasonCode, channel, timeline } = this;
    return {
      status,
      reason,
      reasonCode,
      verified: status === 'VERIFIED',
      channel,
      ...this.deliveryField(),
      timeline,
    };
  }

  /** A check's answer. */
  protected answer(verified = false): CheckResult {
    return { status: this.status, verified, attemptsRemaining: this.attemptsRemaining() };
  }

  /** A start's answer. */
  protected startAnswer(created: boolean): StartAnswer {
    return {
      status: this.status,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.reasonCode ? { reasonCode: this.reasonCode } : {}),
      ...(this.retryAt ? { retryAt: iso(this.retryAt) } : {}),
      channel: this.channel,
      destinationMasked: this.input.destinationMasked,
      ...(this.expiresAt ? { expiresAt: iso(this.expiresAt) } : {}),
      created,
    };
  }

  /** A resend's answer: accepted without `refused`, else why not. */
  protected resendAnswer(refused: ResendResult['reason']): ResendResult {
    const nextResendAt = this.nextResendAt();
    return {
      accepted: refused === undefined,
      status: this.status,
      channel: this.channel,
      resendsRemaining: this.resendsRemaining(),
      nextResendAt: nextResendAt ? iso(nextResendAt) : undefined,
      reason: refused,
    };
  }
}
