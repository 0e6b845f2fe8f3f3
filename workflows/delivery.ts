/**
 * What a verification knows of its messages' delivery: each message it sent (tracked ones by
 * Infobip's `messageId`), the final report of each, and which one is current. `FlowState` owns
 * one and records what it says in the timeline and the metrics.
 *
 * Rules (README, "Delivery reports"): a report of a message this flow did not send changes
 * nothing; a report that is not final (PENDING, an unknown group) changes nothing; the first
 * final report of a message is the one that counts, so a duplicate, a stale PENDING after it
 * or a contradicting later report changes nothing either. A report may reach the flow before
 * the answer of the send it reports on (Infobip pushes quickly, and a signal is handled before
 * an activity's result in the same workflow task): a few such reports wait here for their
 * send, and are dropped otherwise.
 */
import type { Channel, DeliveryReportInput, DeliveryStatus, DeliveryView } from '../domain/types';
import { DELIVERY_STATUSES } from '../domain/types';

/** One message a flow sent. */
export interface SentMessage {
  /** Infobip's `messageId` of its reports; undefined when untracked (e-mail, tracking off). */
  messageId: string | undefined;
  channel: Channel;
  /** Workflow time of the send's answer (Unix ms). */
  sentAtMs: number;
  /** Its final delivery report, once one came. */
  report?: DeliveryReportInput & { status: DeliveryStatus };
}

/** Reports kept while their message's send answer is still on its way. */
const EARLY_REPORTS_KEPT = 8;

/** Whether a report is well-formed and final (the flow acts on nothing else). */
function isFinal(r: DeliveryReportInput): r is DeliveryReportInput & { status: DeliveryStatus } {
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.messageId === 'string' &&
    r.messageId !== '' &&
    DELIVERY_STATUSES.includes(r.status as DeliveryStatus)
  );
}

/** The flow's messages and their delivery. */
export class DeliveryLedger {
  private readonly tracked = new Map<string, SentMessage>();
  private readonly early: (DeliveryReportInput & { status: DeliveryStatus })[] = [];
  /** Messages that went out, tracked or not (lost send answers included). */
  private sentCount = 0;
  private failedCount = 0;
  /** The newest message; undefined before the first one. */
  current: SentMessage | undefined;

  /** @param onFinal called once per message with its first final report. */
  constructor(private readonly onFinal: (message: SentMessage, current: boolean) => void) {}

  /** Records a message that went out (and `untracked` more whose answers were lost). */
  sent(channel: Channel, messageId: string | undefined, atMs: number, untracked = 0): void {
    const message: SentMessage = { messageId, channel, sentAtMs: atMs };
    this.sentCount += 1 + untracked;
    this.current = message;
    if (messageId === undefined) return;
    this.tracked.set(messageId, message);
    const i = this.early.findIndex((r) => r.messageId === messageId);
    if (i >= 0) this.apply(message, this.early.splice(i, 1)[0]!);
  }

  /** Messages that went out without any answer (all lost): they may have reached the person. */
  lost(count: number): void {
    this.sentCount += count;
  }

  /** Takes a report; true when it changed what the flow knows. */
  report(r: DeliveryReportInput): boolean {
    if (!isFinal(r)) return false;
    const message = this.tracked.get(r.messageId);
    if (!message) {
      // Perhaps the answer of its send is still on its way; otherwise never matched, so ignored.
      if (!this.early.some((e) => e.messageId === r.messageId)) {
        this.early.push(r);
        if (this.early.length > EARLY_REPORTS_KEPT) this.early.shift();
      }
      return false;
    }
    return this.apply(message, r);
  }

  private apply(message: SentMessage, r: DeliveryReportInput & { status: DeliveryStatus }): boolean {
    if (message.report) return false;
    message.report = r;
    if (r.status !== 'DELIVERED') this.failedCount += 1;
    this.onFinal(message, message === this.current);
    return true;
  }

  /** Whether the newest message is known not to have reached the person. */
  currentFailed(): boolean {
    return failed(this.current);
  }

  /** Whether every message the flow sent is known not to have reached the person. */
  allFailed(): boolean {
    return this.sentCount > 0 && this.failedCount === this.sentCount;
  }

  /** Whether any message was reported delivered. */
  anyDelivered(): boolean {
    for (const m of this.tracked.values()) if (m.report?.status === 'DELIVERED') return true;
    return false;
  }

  /** The newest message's delivery for people. */
  view(): DeliveryView | undefined {
    const m = this.current;
    if (!m) return undefined;
    if (m.messageId === undefined) return { channel: m.channel, status: 'UNTRACKED' };
    if (!m.report) return { channel: m.channel, status: 'PENDING' };
    const reason = m.report.errorName ?? m.report.statusName;
    return {
      channel: m.channel,
      status: m.report.status,
      ...(reason ? { reason } : {}),
      ...(m.report.doneAt ? { at: m.report.doneAt } : {}),
    };
  }
}

/** Whether a message is known not to have reached the person. */
export function failed(m: SentMessage | undefined): boolean {
  return m?.report !== undefined && m.report.status !== 'DELIVERED';
}

/**
 * How long Infobip took to deliver (or give up on) a message, ms: its `doneAt − sentAt` (one
 * clock, Infobip's); without them, from the send's answer to the report's arrival (the
 * workflow's clock, push delay included). Undefined when neither is usable.
 */
export function deliveryLatencyMs(m: SentMessage, nowMs: number): number | undefined {
  const sent = Date.parse(m.report?.sentAt ?? '');
  const done = Date.parse(m.report?.doneAt ?? '');
  if (Number.isFinite(sent) && Number.isFinite(done) && done >= sent) return done - sent;
  const arrival = nowMs - m.sentAtMs;
  return arrival >= 0 ? arrival : undefined;
}
