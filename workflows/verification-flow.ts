/**
 * The phases `verificationWorkflow` runs one after another, and the handlers of the flow's
 * messages: everything that changes a verification's state (`FlowState`).
 *
 * Command order is part of every recorded history (`test/histories/`), so each phase issues
 * its commands exactly as the workflow did when they were recorded: change the order of
 * upserts, timers and activities only behind `patched()`. Phases chain with `then` where an
 * `async` method would add promises the inline code did not make: the SDK records a stack
 * trace for every promise a workflow creates, a large share of the worker's CPU per flow.
 */
import {
  ApplicationFailure,
  condition,
  ParentClosePolicy,
  patched,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { LookupResult, SendPinResult, VerifyPinResult, WebhookInput } from '../activities/types';
import { activitiesFor, webhookActivity, type VerificationActivities } from './activity-options';
import { failureMessage, failureType } from './activity-errors';
import { START_REQUEST_MEMO } from './constants';
import { FailureTypes } from './failure-types';
import { FlowState, iso } from './flow-state';
import { Mutex } from './mutex';
import type {
  Channel,
  CheckResult,
  FallbackStep,
  ResendResult,
  StartAnswer,
  StartRequest,
  VerificationInput,
  WebhookTarget,
} from './types';
import { TERMINAL_STATUSES } from './types';
import { InvalidInputError, normalizeCode } from './validation';
import { webhookWorkflow } from './webhook';

/** Failure type of a start whose input can never succeed. */
export const INVALID_INPUT = 'InvalidInput';
/** Failure type of a check or resend against a flow that is not PENDING; details[0] is the status. */
export const NOT_PENDING = 'NotPending';
/** Failure type of a check that could not reach Infobip in time; the attempt is not counted. */
export const CHECK_UNAVAILABLE = 'CheckUnavailable';
/** Failure type of a resend Infobip did not accept (other than its send limit). */
export const RESEND_FAILED = 'ResendFailed';
/**
 * Not a failure: how the `start` validator answers a start that attached to a flow past its
 * first send; details[0] is the `StartAnswer` (`created: false`).
 */
export const ATTACHED = 'Attached';
/**
 * Failure type of a start that reached a flow which has its outcome and is about to close;
 * details[0] is the status. Starting again once it has closed starts a new flow.
 */
export const CLOSING = 'Closing';

/**
 * Patch: the outcome webhook runs in its own workflow (`webhookWorkflow`) instead of an
 * activity of the verification, which kept a finished verification open while it retried.
 */
export const WEBHOOK_WORKFLOW_PATCH = 'webhook-workflow';

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

/** A verification's phases and message handlers. `verificationWorkflow` drives the phases in order. */
export class VerificationFlow extends FlowState {
  private readonly acts: VerificationActivities;
  /** Checks, resends, expiry and fallback sends run one at a time, in arrival order (see mutex.ts). */
  private readonly lock: Mutex;

  constructor(input: VerificationInput, destinationKind: 'phone' | 'email') {
    super(input, destinationKind);
    this.acts = activitiesFor(input.policy);
    this.lock = new Mutex();
  }

  // ---- phases ------------------------------------------------------------------------------

  /** Whether the flow asks Number Lookup before sending. */
  wantsLookup(): boolean {
    return this.destinationKind === 'phone' && this.input.policy.lookup !== 'OFF';
  }

  /** Number Lookup: may end the flow UNDELIVERABLE, or switch a number without SMS to voice. */
  lookup(): Promise<void> {
    const { application, destination } = this.input;
    return this.acts.lookupNumber({ application, destination }).then(
      (look) => this.recordLookup(look),
      (err: unknown) => {
        this.timeline.push({ kind: 'LOOKUP', at: iso(), outcome: 'ERROR', reason: failureMessage(err) });
        if (this.input.policy.lookup === 'REQUIRED')
          this.setStatus('FAILED', `number lookup failed: ${failureMessage(err)}`);
      },
    );
  }

  private recordLookup(look: LookupResult): void {
    const { outcome, reason, network, country, ported, roaming } = look;
    const { policy } = this.input;
    this.timeline.push({ kind: 'LOOKUP', at: iso(), outcome, reason, network, country, ported, roaming });
    if (outcome === 'INVALID') this.setStatus('UNDELIVERABLE', `number lookup: ${reason}`);
    else if (outcome === 'ABSENT' && policy.lookup === 'REQUIRED') {
      this.setStatus('UNDELIVERABLE', `number lookup: phone unreachable now (${reason})`);
    } else if (outcome === 'NO_SMS' && this.channel === 'SMS') {
      if (policy.voiceForLandlines) this.setChannel('VOICE');
      else this.setStatus('UNDELIVERABLE', `number lookup: cannot receive SMS (${reason})`);
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

  /** Whether the flow left PENDING or sent a new PIN since `wait` began (a check, a cancel, a resend). */
  changedSince(wait: PendingWait): boolean {
    return this.status !== 'PENDING' || this.lastSendAt !== wait.sendAt;
  }

  /** The wait's time is up: the flow expires, or the next fallback PIN goes out. */
  timeUp(wait: PendingWait): Promise<void> | undefined {
    if (Date.now() >= this.expiresAt) {
      // A check in flight started before the deadline; let it finish before deciding.
      return this.lock.run(async () => {
        if (this.status === 'PENDING')
          this.setStatus('EXPIRED', 'no correct code before the verification expired');
      });
    }
    const { step } = wait;
    if (!step || Date.now() < wait.fallbackAt) return undefined;
    this.fallbackIndex += 1;
    return this.lock.run(() => this.fallBackTo(step.channel));
  }

  private async fallBackTo(to: Channel): Promise<void> {
    if (this.status !== 'PENDING') return;
    const from = this.channel;
    if (await this.sendNew(to)) this.timeline.push({ kind: 'FALLBACK', at: iso(), from, to });
    this.publish();
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
    const { status, reason, channel } = this;
    const delivery: WebhookInput = {
      application,
      url: webhook.url,
      secretRef: webhook.secretRef,
      body: {
        verificationId: workflowId,
        application,
        status,
        reason,
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
  private sendNew(ch: Channel, first = false): Promise<boolean> {
    const to = this.destinationFor(ch);
    if (!to) return Promise.resolve(this.settleSend(false, first));
    const { application, language, placeholders } = this.input;
    return this.acts.sendPin({ application, channel: ch, to, language, placeholders }).then(
      (result) => this.settleSend(this.recordSendResult(ch, result), first),
      (err: unknown) => {
        this.recordFailedSend(ch, err);
        if (this.pinId === null) this.endAfterSendFailure(err);
        return this.settleSend(false, first);
      },
    );
  }

  /** Records a send Infobip answered; true when its PIN can be checked. */
  private recordSendResult(ch: Channel, result: SendPinResult): boolean {
    this.recordSend(ch, result, 'SEND');
    if (!result.delivered || result.pinId === null) {
      if (this.pinId === null)
        this.setStatus('UNDELIVERABLE', `Infobip did not deliver the PIN (${result.infobipStatus})`);
      return false;
    }
    this.pinId = result.pinId;
    this.setChannel(ch);
    return true;
  }

  private settleSend(sent: boolean, first: boolean): boolean {
    if (!first || this.isTerminal()) return sent;
    if (sent) {
      this.expiresAt = this.lastSendAt + this.input.policy.ttlSeconds * 1000;
      this.setStatus('PENDING');
    } else {
      this.setStatus('FAILED', 'no PIN could be sent');
    }
    return sent;
  }

  /** Ends the flow after the first send failed for good. */
  private endAfterSendFailure(err: unknown): void {
    if (failureType(err) === FailureTypes.RATE_LIMITED) this.setStatus('RATE_LIMITED', failureMessage(err));
    else this.setStatus('FAILED', `send failed: ${failureMessage(err)}`);
  }

  // ---- message handlers --------------------------------------------------------------------

  /** Refuses a message unless the flow is PENDING and not past its expiry (or, for checks, still SENDING). */
  rejectUnlessPending(allowSending = false): void {
    if (allowSending && this.status === 'SENDING') return;
    if (this.status !== 'PENDING' || Date.now() >= this.expiresAt) {
      const shown = this.status === 'PENDING' ? 'EXPIRED' : this.status;
      throw ApplicationFailure.create({
        message: `verification is ${shown}, not PENDING`,
        type: NOT_PENDING,
        nonRetryable: true,
        details: [shown],
      });
    }
  }

  /** The `verify` validator: a finished flow or a malformed code is refused before history. */
  validateCheck(code: string): void {
    this.rejectUnlessPending(true);
    try {
      normalizeCode(code, this.input.policy.pin);
    } catch (err) {
      if (err instanceof InvalidInputError)
        throw ApplicationFailure.nonRetryable(err.message, INVALID_INPUT, 'code');
      throw err;
    }
  }

  /** Checks a code (the `verify` Update and the `submitCode` signal). */
  async check(rawCode: string): Promise<CheckResult> {
    // The PIN can reach the phone before the workflow has seen the send complete; a code
    // typed that fast waits for it instead of being refused.
    if (this.status === 'SENDING') await condition(() => this.status !== 'SENDING');
    return this.lock.run(() => this.checkNow(rawCode));
  }

  private async checkNow(rawCode: string): Promise<CheckResult> {
    if (this.status !== 'PENDING' || this.pinId === null) return this.answer();
    if (Date.now() >= this.expiresAt) {
      this.setStatus('EXPIRED', 'the code arrived after the verification expired');
      this.recordCheck('EXPIRED');
      return (this.lastCheck = this.answer());
    }
    const code = normalizeCode(rawCode, this.input.policy.pin);
    let result: VerifyPinResult;
    try {
      result = await this.acts.verifyPin({ pinId: this.pinId, code, application: this.input.application });
    } catch (err) {
      this.recordCheck('ERROR');
      throw ApplicationFailure.create({
        message: `the code could not be checked now: ${failureMessage(err)}`,
        type: CHECK_UNAVAILABLE,
        nonRetryable: true,
      });
    }
    if (result.verified) {
      this.recordCheck('VERIFIED');
      this.setStatus('VERIFIED');
      return (this.lastCheck = this.answer(true));
    }
    if (result.pinError === 'TTL_EXPIRED') {
      this.setStatus('EXPIRED', 'Infobip reports the PIN expired');
    } else {
      this.wrongCodes += 1;
      if (result.pinError === 'NO_MORE_PIN_ATTEMPTS' || this.attemptsRemaining() === 0) {
        this.setStatus('LOCKED', 'no attempts left');
      } else {
        this.publish();
      }
    }
    this.recordCheck(this.status === 'PENDING' ? 'WRONG_CODE' : (this.status as 'EXPIRED' | 'LOCKED'));
    return (this.lastCheck = this.answer());
  }

  /** The `submitCode` signal: a check nobody waits for; read its outcome with the `status` query. */
  async submitCode(code: string): Promise<void> {
    try {
      normalizeCode(code, this.input.policy.pin);
    } catch {
      // A malformed code costs nothing, as with the update's validator.
      return;
    }
    if (this.status !== 'PENDING' && this.status !== 'SENDING') return;
    try {
      await this.check(code);
    } catch {
      // Infobip unreachable: the signal has no caller to tell; the attempt was not counted.
    }
  }

  /** The `resend` Update: the same PIN again, within the cooldown and maximum. */
  resend(): Promise<ResendResult> {
    return this.lock.run(() => this.resendNow());
  }

  private async resendNow(): Promise<ResendResult> {
    if (this.status !== 'PENDING' || this.pinId === null) return this.resendAnswer('NOT_PENDING');
    if (this.resendsRemaining() === 0) return this.resendAnswer('MAX_RESENDS');
    if (Date.now() < (this.nextResendAt() ?? 0)) return this.resendAnswer('COOLDOWN');
    const { application, placeholders } = this.input;
    try {
      const result = await this.acts.resendPin({
        application,
        channel: this.channel,
        pinId: this.pinId,
        placeholders,
      });
      this.resends += 1;
      this.recordSend(this.channel, result, 'RESEND');
    } catch (err) {
      if (failureType(err) === FailureTypes.RATE_LIMITED) return this.resendAnswer('RATE_LIMITED');
      throw ApplicationFailure.nonRetryable(`resend failed: ${failureMessage(err)}`, RESEND_FAILED);
    }
    this.publish();
    return this.resendAnswer(undefined);
  }

  /** Whether `req` is the start call that started this flow. */
  private startedBy(req: StartRequest): boolean {
    return workflowInfo().memo?.[START_REQUEST_MEMO] === req.requestId;
  }

  /**
   * The `start` validator. The flow must be of the caller's application and destination (a
   * caller-chosen ID may belong to another). A start that attached to a flow past its first
   * send is answered here, by a rejection of type `ATTACHED` carrying the answer: nothing is
   * written to history, so a storm of starts for one person costs the flow nothing. A flow
   * that ended is closing: only the call that started it gets its outcome.
   */
  validateStart(req: StartRequest): void {
    const { application, destinationHash } = this.input;
    if (typeof req?.requestId !== 'string' || req.requestId === '')
      throw ApplicationFailure.nonRetryable('requestId: is required', INVALID_INPUT, 'requestId');
    if (req.application !== application || req.destinationHash !== destinationHash)
      throw ApplicationFailure.nonRetryable(
        'id: is already used by another verification',
        INVALID_INPUT,
        'id',
      );
    if (this.status === 'LOOKUP' || this.status === 'SENDING' || this.startedBy(req)) return;
    // Past its expiry a PENDING flow is about to end EXPIRED: a start must not attach to it.
    const effective = this.status === 'PENDING' && Date.now() >= this.expiresAt ? 'EXPIRED' : this.status;
    if (!TERMINAL_STATUSES.includes(effective)) {
      throw ApplicationFailure.create({
        message: 'attached to the running verification',
        type: ATTACHED,
        nonRetryable: true,
        details: [this.startAnswer(false)],
      });
    }
    throw ApplicationFailure.create({
      message: `verification is ${effective} and closing`,
      type: CLOSING,
      nonRetryable: true,
      details: [effective],
    });
  }

  /** The `start` Update: answers once the first send is known (PENDING, or how the flow ended). */
  async answerStart(req: StartRequest): Promise<StartAnswer> {
    if (this.status === 'LOOKUP' || this.status === 'SENDING')
      await condition(() => this.status !== 'LOOKUP' && this.status !== 'SENDING');
    return this.startAnswer(this.startedBy(req));
  }

  /** The `cancel` signal: ends a flow that has not ended yet as CANCELLED. */
  cancel(why?: string): void {
    if (this.isTerminal()) return;
    this.setStatus('CANCELLED', typeof why === 'string' && why ? why.slice(0, 200) : 'cancelled by request');
  }
}
