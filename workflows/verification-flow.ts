/**
 * The handlers of a verification's messages (start, verify, submitCode, resend, cancel) on top
 * of its phases (`FlowPhases`) and state (`FlowState`). `verificationWorkflow` registers them.
 */
import { ApplicationFailure, condition, workflowInfo } from '@temporalio/workflow';
import type { VerifyPinResult } from '../activities/types';
import { failureType } from './activity-errors';
import { START_REQUEST_MEMO } from '../domain/constants';
import { InvalidInputError } from '../domain/errors';
import {
  ATTACHED,
  CHECK_UNAVAILABLE,
  CLOSING,
  DESTINATION_LOCKED,
  INVALID_INPUT,
  isUnencryptedMark,
  NOT_PENDING,
  UNENCRYPTED,
  RESEND_FAILED,
} from '../domain/failures';
import { normalizeCode } from '../domain/input';
import { REASONS, reasonOfFailure } from '../domain/reasons';
import { FlowPhases } from './flow-phases';
import { iso } from './flow-state';
import type {
  CheckResult,
  DeliveryReportInput,
  ResendResult,
  StartAnswer,
  StartRequest,
  VerificationStatus,
} from '../domain/types';
import { TERMINAL_STATUSES } from '../domain/types';

/** The refusal of what a caller sent unencrypted to workers that encrypt. */
export function unencrypted(): ApplicationFailure {
  return ApplicationFailure.nonRetryable(REASONS.UNENCRYPTED_PAYLOAD, UNENCRYPTED, 'UNENCRYPTED_PAYLOAD');
}

/** The refusal of a message that reached a flow which is not PENDING (`status` is what it is). */
function notPending(status: VerificationStatus): ApplicationFailure {
  return ApplicationFailure.create({
    message: `verification is ${status}, not PENDING`,
    type: NOT_PENDING,
    nonRetryable: true,
    details: [status],
  });
}

/** A verification's message handlers, phases and state. */
export class VerificationFlow extends FlowPhases {
  /** Refuses a message unless the flow is PENDING and not past its expiry (or, for checks, still SENDING). */
  rejectUnlessPending(allowSending = false): void {
    if (allowSending && this.status === 'SENDING') return;
    if (this.status !== 'PENDING' || Date.now() >= this.expiresAt)
      throw notPending(this.status === 'PENDING' ? 'EXPIRED' : this.status);
  }

  /** The `verify` validator: a finished flow or a malformed code is refused before history. */
  validateCheck(code: string): void {
    if (isUnencryptedMark(code)) throw unencrypted();
    this.rejectUnlessPending(true);
    try {
      normalizeCode(code, this.input.policy.pin);
    } catch (err) {
      if (err instanceof InvalidInputError)
        throw ApplicationFailure.nonRetryable(err.message, INVALID_INPUT, 'code', err.reason);
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

  /**
   * One check, its turn come. Only the check that ends the flow answers with the ending (the
   * wrong code that used the last attempt: LOCKED; the right code: VERIFIED; a code that came
   * after the expiry: EXPIRED). A check that finds the flow already ended is refused like one
   * that arrives after it, whether it waited in the queue or not (`NotPending`, 409).
   */
  private async checkNow(rawCode: string): Promise<CheckResult> {
    if (this.status !== 'PENDING' || this.pinId === null) throw notPending(this.status);
    if (Date.now() >= this.expiresAt) {
      this.setStatus('EXPIRED', 'CODE_TOO_LATE');
      this.recordCheck('EXPIRED');
      return (this.lastCheck = this.answer());
    }
    const code = normalizeCode(rawCode, this.input.policy.pin);
    let result: VerifyPinResult;
    try {
      result = await this.verifyAny(this.pinId, code);
    } catch {
      this.recordCheck('ERROR');
      // Infobip's words (its path names the pinId) stay in the activity's failure and the logs.
      throw ApplicationFailure.create({
        message: 'Infobip could not check the code now; no attempt was counted',
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
      this.setStatus('EXPIRED', 'PIN_EXPIRED');
    } else {
      this.wrongCodes += 1;
      if (result.pinError === 'NO_MORE_PIN_ATTEMPTS' || this.attemptsRemaining() === 0) {
        this.setStatus('LOCKED', 'NO_ATTEMPTS_LEFT');
      } else {
        this.publish();
      }
    }
    this.recordCheck(this.status === 'PENDING' ? 'WRONG_CODE' : (this.status as 'EXPIRED' | 'LOCKED'));
    return (this.lastCheck = this.answer());
  }

  /**
   * Checks a code against the current PIN and, when it is wrong there, against the PINs a
   * fallback replaced (`earlierPins`, newest first): a code of any message the flow sent
   * verifies, and a wrong code costs one attempt however many PINs it was tried on. A PIN
   * Infobip cannot check now counts as not matching.
   */
  private async verifyAny(pinId: string, code: string): Promise<VerifyPinResult> {
    const { application } = this.input;
    const result = await this.acts.verifyPin({ pinId, code, application });
    if (result.verified || this.earlierPins.length === 0 || (result.pinError ?? 'WRONG_PIN') !== 'WRONG_PIN')
      return result;
    for (const earlier of [...this.earlierPins].reverse()) {
      const other = await this.acts.verifyPin({ pinId: earlier, code, application }).catch(() => undefined);
      if (other?.verified) return { ...other, attemptsRemaining: result.attemptsRemaining };
    }
    return result;
  }

  /**
   * The `deliveryReport` signal: a final report of a message this flow sent is recorded; any
   * other report changes nothing. Never throws (a signal handler that throws fails the task).
   */
  deliveryReport(report: DeliveryReportInput): void {
    if (this.isTerminal() || typeof report !== 'object' || report === null) return;
    this.deliveries.report(report);
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
        ...(this.tracksDelivery() && this.channel !== 'EMAIL' ? { trackDelivery: true } : {}),
      });
      this.resends += 1;
      this.recordSend(this.channel, result, 'RESEND');
    } catch (err) {
      const code = reasonOfFailure(failureType(err));
      if (code === 'SEND_LIMIT') return this.resendAnswer('RATE_LIMITED');
      throw ApplicationFailure.nonRetryable(
        `the PIN could not be sent again: ${REASONS[code]}`,
        RESEND_FAILED,
        code,
      );
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
   * written to history, so a storm of starts for one person costs the flow nothing. A LOCKED
   * flow that keeps its destination locked refuses a start as `DestinationLocked` (with
   * `lockedUntil`); any other flow that ended is closing: only the call that started it gets
   * its outcome.
   */
  validateStart(req: StartRequest): void {
    if (isUnencryptedMark(req)) throw unencrypted();
    const { application, destinationHash } = this.input;
    if (typeof req?.requestId !== 'string' || req.requestId === '')
      throw ApplicationFailure.nonRetryable(
        'requestId: is required',
        INVALID_INPUT,
        'requestId',
        'is required',
      );
    if (req.application !== application || req.destinationHash !== destinationHash)
      throw ApplicationFailure.nonRetryable(
        'id: is already used by another verification',
        INVALID_INPUT,
        'id',
        'is already used by another verification',
      );
    if (this.status === 'LOOKUP' || this.status === 'SENDING' || this.startedBy(req)) return;
    if (this.lockedUntil > Date.now()) {
      throw ApplicationFailure.create({
        message: `the destination is locked until ${iso(this.lockedUntil)}`,
        type: DESTINATION_LOCKED,
        nonRetryable: true,
        details: [{ lockedUntil: iso(this.lockedUntil) }],
      });
    }
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
    // A reason sent unencrypted to workers that encrypt is refused: the signal does nothing.
    if (this.isTerminal() || isUnencryptedMark(why)) return;
    this.setStatus('CANCELLED', 'CANCELLED', typeof why === 'string' && why ? why.slice(0, 200) : undefined);
  }
}
