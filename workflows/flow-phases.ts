/**
 * What a verification does on its own, phase after phase: the lookup, the first send, the
 * PENDING wait's expiry and fallback sends, the outcome's webhook. `VerificationFlow` adds the
 * handlers of its messages.
 *
 * Command order is part of every recorded history (`test/histories/`), so each phase issues
 * its commands exactly as the workflow did when they were recorded: change the order of
 * upserts, timers and activities only behind `patched()`. Phases chain with `then` where an
 * `async` method would add promises the inline code did not make: the SDK records a stack
 * trace for every promise a workflow creates, a large share of the worker's CPU per flow.
 */
import {
  ParentClosePolicy,
  patched,
  proxyLocalActivities,
  sleep,
  startChild,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { OtpActivities } from '../activities/types';
import type { LookupResult, SendPinResult, WebhookInput } from '../activities/types';
import { activitiesFor, webhookActivity, type VerificationActivities } from './activity-options';
import { failureType, retryAfterMs } from './activity-errors';
import { failed, type SentMessage } from './delivery';
import { FailureTypes } from '../domain/failures';
import { lockoutSeconds } from '../domain/guard-policy';
import { reasonOfFailure } from '../domain/reasons';
import { FlowState, iso } from './flow-state';
import { Mutex } from './mutex';
import type { Channel, FallbackStep, VerificationInput, WebhookTarget } from '../domain/types';
import { webhookWorkflow } from './webhook';

/**
 * Patch: the outcome webhook runs in its own workflow (`webhookWorkflow`) instead of an
 * activity of the verification, which kept a finished verification open while it retried.
 */
export const WEBHOOK_WORKFLOW_PATCH = 'webhook-workflow';

/**
 * Patch: a fallback step repeats the flow's PIN on the step's channel (Infobip's resend, e.g.
 * `/resend/voice`) instead of sending a new one, so the code a person already has keeps
 * working; where a new PIN is unavoidable, earlier PINs stay accepted.
 */
export const FALLBACK_SAME_PIN_PATCH = 'fallback-same-pin';

/** One wait of a PENDING flow (see `VerificationFlow.nextWait`). */
export interface PendingWait {
  /** The next fallback step, if any is left. */
  step: FallbackStep | undefined;
  /** When that step is due (Unix ms); Infinity without one. */
  fallbackAt: number;
  /** How long to wait at most. */
  ms: number;
  /** The last send's time when the wait began. */
  sendAt: number;
}

/** A verification's phases. `verificationWorkflow` runs them in order. */
export class FlowPhases extends FlowState {
  protected readonly acts: VerificationActivities;
  /** Checks, resends, expiry and fallback sends run one at a time, in arrival order (see mutex.ts). */
  protected readonly lock: Mutex;
  /** Channel the current PIN (`pinId`) was generated for: a resend reaches the same destination. */
  protected pinChannel: Channel | undefined;
  /** PINs a fallback replaced by a new one (e-mail step of a phone verification): still accepted. */
  protected readonly earlierPins: string[] = [];
  /** The undelivered message the flow last acted on (see `undelivered`). */
  private actedOn: SentMessage | undefined;

  constructor(input: VerificationInput, destinationKind: 'phone' | 'email') {
    super(input, destinationKind);
    this.acts = activitiesFor(input.policy);
    this.lock = new Mutex();
  }

  /** Whether the flow asks Number Lookup before sending. */
  wantsLookup(): boolean {
    return this.destinationKind === 'phone' && this.input.policy.lookup !== 'OFF';
  }

  /** Number Lookup: may end the flow UNDELIVERABLE, or switch a number without SMS to voice. */
  lookup(): Promise<void> {
    const { application, destination, destinationHash } = this.input;
    return this.acts.lookupNumber({ application, destination, destinationHash }).then(
      (look) => this.recordLookup(look),
      (err: unknown) => {
        const code = reasonOfFailure(failureType(err), 'LOOKUP_UNAVAILABLE');
        this.timeline.push({ kind: 'LOOKUP', at: iso(), outcome: 'ERROR', reason: code });
        // A start keyed with another hash key ends here, whatever the lookup policy says.
        if (this.input.policy.lookup === 'REQUIRED' || code === 'DESTINATION_HASH_MISMATCH')
          this.setStatus('FAILED', code);
      },
    );
  }

  private recordLookup(look: LookupResult): void {
    const { outcome, reason, network, country, ported, roaming } = look;
    const { policy } = this.input;
    this.timeline.push({ kind: 'LOOKUP', at: iso(), outcome, reason, network, country, ported, roaming });
    if (outcome === 'INVALID') this.setStatus('UNDELIVERABLE', 'NUMBER_UNKNOWN');
    else if (outcome === 'ABSENT' && policy.lookup === 'REQUIRED') {
      this.setStatus('UNDELIVERABLE', 'NUMBER_UNREACHABLE');
    } else if (outcome === 'NO_SMS' && this.channel === 'SMS') {
      if (policy.voiceForLandlines) this.setChannel('VOICE');
      else this.setStatus('UNDELIVERABLE', 'NO_SMS');
    }
  }

  /** The first PIN: PENDING until the TTL runs out, or how the flow ended without one. */
  sendFirst(): Promise<boolean> {
    this.setStatus('SENDING');
    return this.sendNew(this.channel, true);
  }

  /** What the PENDING wait is for: the expiry or the next fallback step, whichever comes first. */
  nextWait(): PendingWait {
    const step = this.input.policy.fallback[this.fallbackIndex];
    const fallbackAt = step ? this.lastSendAt + step.afterSeconds * 1000 : Infinity;
    const ms = Math.max(Math.min(this.expiresAt, fallbackAt) - Date.now(), 1);
    return { step, fallbackAt, ms, sendAt: this.lastSendAt };
  }

  /**
   * Whether the flow left PENDING, sent a new PIN or learnt that its message cannot arrive since
   * `wait` began (a check, a cancel, a resend, a delivery report).
   */
  changedSince(wait: PendingWait): boolean {
    return this.status !== 'PENDING' || this.lastSendAt !== wait.sendAt || this.undelivered();
  }

  /**
   * Whether a delivery report calls for action: the current message could not be delivered
   * (UNDELIVERABLE, REJECTED or EXPIRED) and the flow has not acted on it yet, or no fallback
   * step is left and no message the flow sent can have arrived. Never true without reports.
   */
  undelivered(): boolean {
    const current = this.deliveries.current;
    if (failed(current) && current !== this.actedOn) return true;
    return !this.input.policy.fallback[this.fallbackIndex] && this.deliveries.allFailed();
  }

  /**
   * Acts on an undelivered message: the next fallback step goes out at once instead of on its
   * timer; with none left and no message delivered, the flow ends UNDELIVERABLE.
   */
  afterUndelivered(): Promise<void> {
    const current = this.deliveries.current;
    this.actedOn = current;
    const step = this.input.policy.fallback[this.fallbackIndex];
    if (step) {
      this.fallbackIndex += 1;
      return this.lock.run(() => this.fallBackTo(step.channel));
    }
    return this.lock.run(async () => {
      if (this.status !== 'PENDING' || !this.deliveries.allFailed()) return;
      // Infobip's own words stay in the timeline's DELIVERY entries.
      this.setStatus('UNDELIVERABLE', 'MESSAGES_UNDELIVERED');
    });
  }

  /** The wait's time is up: the flow expires, or the next fallback PIN goes out. */
  timeUp(wait: PendingWait): Promise<void> | undefined {
    if (Date.now() >= this.expiresAt) {
      // A check in flight started before the deadline; let it finish before deciding.
      return this.lock.run(async () => {
        if (this.status === 'PENDING') this.setStatus('EXPIRED', 'TTL_EXPIRED');
      });
    }
    const { step } = wait;
    if (!step || Date.now() < wait.fallbackAt) return undefined;
    this.fallbackIndex += 1;
    // The plan is for a message that may not have arrived: after a DELIVERED report, it rests.
    if (this.deliveries.current?.report?.status === 'DELIVERED') return undefined;
    return this.lock.run(() => this.fallBackTo(step.channel));
  }

  private async fallBackTo(to: Channel): Promise<void> {
    if (this.status !== 'PENDING') return;
    const from = this.channel;
    const sent = patched(FALLBACK_SAME_PIN_PATCH) ? await this.repeatPinOn(to) : await this.sendNew(to);
    if (sent) this.timeline.push({ kind: 'FALLBACK', at: iso(), from, to });
    this.publish();
  }

  /**
   * A fallback message with the flow's PIN: Infobip's resend on `to` (an SMS PIN read out in a
   * call, a voice PIN texted, an e-mail PIN e-mailed again). Where that cannot work — an e-mail
   * step of a phone verification, or Infobip refusing the resend (400/404) — a new PIN goes out,
   * and the earlier one stays accepted (`earlierPins`).
   */
  private repeatPinOn(to: Channel): Promise<boolean> {
    const { pinId, pinChannel } = this;
    if (pinId === null || !pinChannel || (pinChannel === 'EMAIL') !== (to === 'EMAIL'))
      return this.sendNew(to, false, true);
    const { application, placeholders } = this.input;
    const trackDelivery = this.tracksDelivery() && to !== 'EMAIL';
    return this.acts.resendPin({ application, channel: to, pinId, placeholders, trackDelivery }).then(
      (result) => {
        this.recordSend(to, result, 'RESEND');
        if (result.delivered) this.setChannel(to);
        return result.delivered;
      },
      (err: unknown) => {
        const type = failureType(err);
        if (type === FailureTypes.BAD_REQUEST || type === FailureTypes.NOT_FOUND)
          return this.sendNew(to, false, true);
        this.recordFailedSend(to, err);
        return false;
      },
    );
  }

  /**
   * Hands the outcome to the webhook workflow, which delivers it once this flow has closed:
   * the verification does not stay open while a receiver is slow or down. Its ID is in the
   * timeline's WEBHOOK entry (`SCHEDULED`); its result says how the delivery went. Flows that
   * started before the webhook workflow existed deliver it themselves (kept for replay).
   */
  async notify(webhook: WebhookTarget): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    const { application, destinationHash } = this.input;
    const { status, reason, reasonCode, channel } = this;
    const delivery: WebhookInput = {
      application,
      url: webhook.url,
      secretRef: webhook.secretRef,
      body: {
        verificationId: workflowId,
        application,
        status,
        reason,
        reasonCode,
        verified: status === 'VERIFIED',
        channel,
        destinationHash,
        finishedAt: iso(),
      },
    };
    if (!patched(WEBHOOK_WORKFLOW_PATCH)) return this.deliverWebhook(delivery);
    // One delivery per run; "/" never occurs in a verification ID, so no caller can take it.
    const deliveryWorkflowId = `${workflowId}/webhook/${runId}`;
    try {
      await startChild(webhookWorkflow, {
        workflowId: deliveryWorkflowId,
        args: [delivery],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `webhook of ${workflowId} · ${status}`,
      });
      this.timeline.push({ kind: 'WEBHOOK', at: iso(), outcome: 'SCHEDULED', deliveryWorkflowId });
    } catch {
      this.timeline.push({ kind: 'WEBHOOK', at: iso(), outcome: 'FAILED' });
    }
  }

  /**
   * A LOCKED flow keeps its destination locked: it stays open (Temporal status Running,
   * `OtpStatus` LOCKED) for the lockout, and its `start` validator answers starts that reach it
   * `DestinationLocked`. The lockout grows with each earlier lockout of the destination within
   * the window (a visibility count, paid for only here). Flows without `policy.lockout` — all
   * recorded before lockouts existed — close at once.
   */
  async holdLockout(): Promise<void> {
    const lockout = this.input.policy.lockout;
    if (this.status !== 'LOCKED' || !lockout || lockout.seconds <= 0) return;
    const { application, destinationHash } = this.input;
    const { countLockouts } = proxyLocalActivities<OtpActivities>({
      startToCloseTimeout: '5s',
      retry: { initialInterval: '200ms', maximumAttempts: 3 },
    });
    // Without the count the lockout is the base one: visibility may be down, the lock is not.
    const earlier = await countLockouts({
      application,
      destinationHash,
      windowSeconds: lockout.windowSeconds,
    }).catch(() => 0);
    this.lockedUntil = Date.now() + lockoutSeconds(lockout, earlier) * 1000;
    this.timeline.push({
      kind: 'LOCKOUT',
      at: iso(),
      until: iso(this.lockedUntil),
      earlierLockouts: earlier,
    });
    // Starts with a caller-chosen ID find the lock through visibility (list + memo).
    upsertMemo({ lockedUntil: iso(this.lockedUntil) });
    this.publish();
    await sleep(Math.max(this.lockedUntil - Date.now(), 1));
  }

  /** The webhook delivered by this flow itself, as flows recorded before `WEBHOOK_WORKFLOW_PATCH` did. */
  private async deliverWebhook(delivery: WebhookInput): Promise<void> {
    try {
      const res = await webhookActivity()(delivery);
      this.timeline.push({ kind: 'WEBHOOK', at: iso(), outcome: 'DELIVERED', httpStatus: res.httpStatus });
    } catch {
      // Retried for a day by its retry policy; the verification's own outcome stands.
      this.timeline.push({ kind: 'WEBHOOK', at: iso(), outcome: 'FAILED' });
    }
  }

  // ---- sending -----------------------------------------------------------------------------

  private destinationFor(ch: Channel): string | undefined {
    const { destination, email } = this.input;
    if (ch === 'EMAIL') return this.destinationKind === 'email' ? destination : email;
    return this.destinationKind === 'phone' ? destination : undefined;
  }

  /**
   * Sends a new PIN on `ch`; resolves true when the flow can wait for a code. The first send
   * also moves the flow to PENDING, or ends it when no PIN went out.
   */
  private sendNew(ch: Channel, first = false, keepEarlierPin = false): Promise<boolean> {
    const to = this.destinationFor(ch);
    if (!to) return Promise.resolve(this.settleSend(false, first));
    const { application, language, placeholders, destination, destinationHash } = this.input;
    const track = this.tracksDelivery() && ch !== 'EMAIL' ? { trackDelivery: true } : {};
    // The first send checks the caller's hash key, unless the lookup did it already.
    const claim = first && !this.wantsLookup() ? { claim: { destination, destinationHash } } : {};
    const input = { application, channel: ch, to, language, placeholders, ...track, ...claim };
    return this.acts.sendPin(input).then(
      (result) => this.settleSend(this.recordSendResult(ch, result, keepEarlierPin), first),
      (err: unknown) => {
        this.recordFailedSend(ch, err);
        if (this.pinId === null) this.endAfterSendFailure(err);
        return this.settleSend(false, first);
      },
    );
  }

  /** Records a send Infobip answered; true when its PIN can be checked. */
  private recordSendResult(ch: Channel, result: SendPinResult, keepEarlierPin: boolean): boolean {
    this.recordSend(ch, result, 'SEND');
    if (!result.delivered || result.pinId === null) {
      if (this.pinId === null) this.setStatus('UNDELIVERABLE', 'NOT_DELIVERED');
      return false;
    }
    if (keepEarlierPin && this.pinId !== null && this.pinId !== result.pinId)
      this.earlierPins.push(this.pinId);
    this.pinId = result.pinId;
    this.pinChannel = ch;
    this.setChannel(ch);
    return true;
  }

  private settleSend(sent: boolean, first: boolean): boolean {
    if (!first || this.isTerminal()) return sent;
    if (sent) {
      this.expiresAt = this.lastSendAt + this.input.policy.ttlSeconds * 1000;
      this.setStatus('PENDING');
    } else {
      this.setStatus('FAILED', 'NOT_SENT');
    }
    return sent;
  }

  /** Ends the flow after the first send failed for good. */
  private endAfterSendFailure(err: unknown): void {
    const code = reasonOfFailure(failureType(err));
    if (code !== 'SEND_LIMIT') return this.setStatus('FAILED', code);
    const wait = retryAfterMs(err);
    this.retryAt = wait === undefined ? undefined : Date.now() + wait;
    this.setStatus('RATE_LIMITED', code);
  }
}
