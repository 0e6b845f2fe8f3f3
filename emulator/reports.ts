/**
 * Delivery reports: for each tracked SMS or voice message the emulator plays out the outcome
 * its number chose (`delivery-table.ts`), shows it in the inbox, and pushes Infobip's report
 * body to the subscription URL with Infobip's retry cycle on a failed push (non-2xx answer,
 * network error or timeout): retry n waits `1 min + 1 min·n²`, times `retryTimeScale`.
 */
import { EmulatorConfigError } from './errors';
import {
  parseSubscription,
  post,
  retryDelayMs,
  type PushAttempt,
  type ReportPush,
  type ReportSubscription,
} from './report-push';
import {
  NO_ERROR,
  PENDING_STATUS,
  VOICE_ANSWERED,
  deliveryOutcome,
  outcomePlan,
  type DeliveryOutcome,
  type DeliveryStatusGroup,
  type ReportErrorObject,
} from './delivery-table';
import { reportResult, type ReportBody } from './report-body';
import type { LookupOutcome, LookupStatus } from './lookup-table';
import type { Faults } from './faults';
import type { InboxMessage, Store } from './state';

/** Most pushes `list()` keeps (like the inbox's limit). */
export const PUSH_LOG_LIMIT = 10_000;

/** Settings of delivery reports (`EmulatorOptions.reports`). */
export interface ReportOptions {
  /** Subscription active from the start. @default undefined (reports are played out but not pushed) */
  subscription?: ReportSubscription;
  /** Milliseconds from a send to its report (every outcome but the late ones). @default 1000 */
  delayMs?: number;
  /** Milliseconds from a send to the report of `DELIVERED_LATE` and `EXPIRED`. @default 30000 */
  lateDelayMs?: number;
  /** Factor on Infobip's retry cycle (`0.001` turns 2 minutes into 120 ms). @default 1 */
  retryTimeScale?: number;
  /** Retries of a failed push before it is given up. @default 20 (about 48 hours at scale 1) */
  maxRetries?: number;
  /** Milliseconds a push may stay silent before it counts as failed. @default 10000 */
  timeoutMs?: number;
  /** Numbers (digits only) → delivery outcome, consulted before the suffix table. @default {} */
  deliveryTable?: Readonly<Record<string, DeliveryOutcome>>;
}

/** What the dispatcher needs from the emulator. */
export interface ReportDeps {
  store: Store;
  faults: Faults;
  now(): number;
  lookupTable?: Readonly<Record<string, LookupOutcome>>;
  /** Tells live inbox viewers that a message's delivery status changed. */
  publish(message: InboxMessage): void;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = true): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0))
    throw new EmulatorConfigError(
      `reports.${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`,
    );
  return v;
}

/** Plays out tracked messages and pushes their reports. */
export class ReportDispatcher {
  private sub: ReportSubscription | undefined;
  private readonly pushes: ReportPush[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly followers = new Map<string, ReportPush[]>();
  private readonly aborter = new AbortController();
  private outstanding = 0;
  private idleWaiters: Array<() => void> = [];
  private seq = 0;
  private closed = false;
  private readonly delayMs: number;
  private readonly lateDelayMs: number;
  private readonly retryTimeScale: number;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;

  /** @throws EmulatorConfigError for a malformed option or subscription. */
  constructor(
    private readonly deps: ReportDeps,
    private readonly options: ReportOptions = {},
  ) {
    this.delayMs = positive('delayMs', options.delayMs, 1000);
    this.lateDelayMs = positive('lateDelayMs', options.lateDelayMs, 30_000);
    this.retryTimeScale = positive('retryTimeScale', options.retryTimeScale, 1, false);
    this.maxRetries = positive('maxRetries', options.maxRetries, 20);
    if (!Number.isInteger(this.maxRetries))
      throw new EmulatorConfigError('reports.maxRetries must be an integer');
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, 10_000, false);
    if (options.subscription) this.sub = parseSubscription(options.subscription);
  }

  /** The subscription reports go to, if any. */
  subscription(): ReportSubscription | undefined {
    return this.sub && { ...this.sub };
  }

  /** Sets (validated; throws EmulatorConfigError) or clears the subscription. */
  subscribe(input: unknown): ReportSubscription | undefined {
    this.sub = input === undefined ? undefined : parseSubscription(input);
    return this.subscription();
  }

  /** Starts playing out a tracked SMS or voice message (it must carry its `externalMessageId`). */
  track(message: InboxMessage): void {
    if (this.closed || message.channel === 'EMAIL') return;
    const channel = message.channel;
    const outcome = deliveryOutcome(message.to, channel, this.options.deliveryTable, this.deps.lookupTable);
    const plan = outcomePlan(outcome);
    this.setDelivery(message, PENDING_STATUS, NO_ERROR, outcome);
    this.later(plan.timing === 'late' ? this.lateDelayMs : this.delayMs, () => {
      const delivered = plan.status.groupName === 'DELIVERED';
      const error = delivered && channel === 'VOICE' ? VOICE_ANSWERED : plan.error;
      const doneAt = this.deps.now();
      this.setDelivery(message, plan.status, error, outcome);
      if (plan.reports === 'none') return;
      const first = this.enqueue(message, 'REPORT', reportResult(message, plan.status, error, doneAt));
      if (plan.reports === 'twice')
        this.enqueue(message, 'DUPLICATE', reportResult(message, plan.status, error, doneAt), first);
      if (plan.reports === 'then-pending')
        this.enqueue(
          message,
          'STALE_PENDING',
          reportResult(message, PENDING_STATUS, NO_ERROR, undefined),
          first,
        );
    });
  }

  /** Pushes made or planned, oldest first; filtered by report `messageId` or destination. */
  list(filter: { messageId?: string; to?: string } = {}): ReportPush[] {
    return this.pushes
      .filter(
        (p) =>
          (filter.messageId === undefined || p.messageId === filter.messageId) &&
          (filter.to === undefined || p.to === filter.to),
      )
      .map((p) => structuredClone(p));
  }

  /** Forgets every push made and gives up the waiting and retrying ones (their reports are lost). */
  clear(): void {
    for (const p of this.pushes) if (!this.isSettled(p)) this.settle(p, 'DROPPED', 'cleared');
    this.pushes.length = 0;
  }

  /** Resolves once no outcome is still to play out and no push is waiting, scheduled or retrying. */
  idle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops every timer and push in flight. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.aborter.abort();
    this.outstanding = 0;
    this.wakeIdle();
  }

  private setDelivery(
    message: InboxMessage,
    status: LookupStatus,
    error: ReportErrorObject,
    outcome: DeliveryOutcome,
  ) {
    message.delivery = {
      status: status.groupName as DeliveryStatusGroup,
      statusName: status.name,
      errorName: error.name,
      outcome,
      updatedAt: new Date(this.deps.now()).toISOString(),
    };
    this.deps.store.changed();
    this.deps.publish(message);
  }

  /** Runs `fn` after `ms`, counted as outstanding work until it has run. */
  private later(ms: number, fn: () => void): void {
    this.outstanding++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        fn();
      } finally {
        this.done();
      }
    }, ms);
    this.timers.add(timer);
  }

  private done(): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
    if (this.outstanding === 0) this.wakeIdle();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private enqueue(
    message: InboxMessage,
    kind: ReportPush['kind'],
    result: ReportBody['results'][number],
    after?: ReportPush,
  ): ReportPush {
    const push: ReportPush = {
      id: `push-${++this.seq}`,
      messageId: result.messageId,
      pinId: message.pinId,
      to: message.to,
      channel: message.channel as 'SMS' | 'VOICE',
      status: result.status.groupName as DeliveryStatusGroup,
      kind,
      state: 'WAITING',
      attempts: 0,
      history: [],
      body: { results: [result] },
    };
    this.pushes.push(push);
    if (this.pushes.length > PUSH_LOG_LIMIT) {
      // A long-running emulator keeps the newest pushes; settled ones go first.
      const drop = this.pushes.findIndex((p) => this.isSettled(p));
      this.pushes.splice(drop < 0 ? 0 : drop, 1);
    }
    this.outstanding++;
    if (after && !this.isSettled(after)) {
      const list = this.followers.get(after.id) ?? [];
      list.push(push);
      this.followers.set(after.id, list);
    } else this.attempt(push);
    return push;
  }

  private isSettled(p: ReportPush): boolean {
    return p.state === 'DELIVERED' || p.state === 'FAILED' || p.state === 'DROPPED';
  }

  /** One attempt, after the report rules of the fault list had their say. */
  private attempt(push: ReportPush): void {
    if (this.closed || this.isSettled(push)) return;
    const sub = this.sub;
    if (!sub) return this.settle(push, 'DROPPED', 'no subscription');
    const rule = this.deps.faults.pickReport(new URL(sub.url).pathname);
    if (rule && 'dropReport' in rule) return this.settle(push, 'DROPPED', 'fault rule');
    if (rule && 'latencyMs' in rule) {
      push.state = 'SCHEDULED';
      push.nextAttemptAt = new Date(Date.now() + rule.latencyMs).toISOString();
      this.later(rule.latencyMs, () => this.send(push));
      return;
    }
    this.send(push);
  }

  private send(push: ReportPush): void {
    if (this.closed || this.isSettled(push)) return;
    const sub = this.sub;
    if (!sub) return this.settle(push, 'DROPPED', 'no subscription');
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'User-Agent': 'otpflow-emulator',
    };
    if (sub.basic)
      headers.Authorization = `Basic ${Buffer.from(`${sub.basic.username}:${sub.basic.password}`).toString('base64')}`;
    push.state = 'PUSHING';
    push.nextAttemptAt = undefined;
    push.attempts++;
    const attempt: PushAttempt = { at: new Date().toISOString(), url: sub.url };
    push.history.push(attempt);
    this.outstanding++;
    post(new URL(sub.url), JSON.stringify(push.body), headers, this.timeoutMs, this.aborter.signal)
      .then(
        (status) => {
          attempt.httpStatus = status;
          push.lastHttpStatus = status;
          if (status >= 200 && status < 300) this.settle(push, 'DELIVERED');
          else this.retry(push, `answered ${status}`);
        },
        (err: unknown) => {
          attempt.error = (err as Error)?.message ?? String(err);
          push.lastHttpStatus = undefined;
          this.retry(push, attempt.error);
        },
      )
      .finally(() => this.done());
  }

  private retry(push: ReportPush, reason: string): void {
    push.lastError = reason;
    if (this.closed || this.isSettled(push)) return;
    const n = push.attempts; // retry number n follows the n-th failed attempt
    if (n > this.maxRetries) return this.settle(push, 'FAILED');
    const wait = retryDelayMs(n, this.retryTimeScale);
    push.state = 'RETRYING';
    push.nextAttemptAt = new Date(Date.now() + wait).toISOString();
    this.later(wait, () => this.attempt(push));
  }

  private settle(push: ReportPush, state: 'DELIVERED' | 'FAILED' | 'DROPPED', dropReason?: string): void {
    if (this.isSettled(push)) return;
    push.state = state;
    push.nextAttemptAt = undefined;
    if (dropReason) push.dropReason = dropReason;
    const next = this.followers.get(push.id) ?? [];
    this.followers.delete(push.id);
    for (const f of next) this.attempt(f);
    this.done();
  }
}
