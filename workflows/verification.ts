/**
 * The verification workflow: LOOKUP → SENDING → PENDING → a terminal state.
 *
 * Infobip generates and checks the PIN; this workflow never sees it. Expiry, attempts,
 * cooldowns and the fallback plan run on the workflow's own clock, so a late code is
 * answered EXPIRED without a call to Infobip.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  metricMeter,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OtpActivities, SendPinResult } from '../activities/types';
import { OTP_CHANNEL, OTP_STATUS } from '../domain/constants';
import { InvalidInputError } from '../domain/errors';
import {
  CHECK_UNAVAILABLE,
  FailureTypes,
  INVALID_INPUT,
  NOT_PENDING,
  RESEND_FAILED,
  WebhookFailureTypes,
} from '../domain/failures';
import { normalizeCode, validateInput } from '../domain/input';
import { cancelSignal, resendUpdate, statusQuery, submitCodeSignal, verifyUpdate } from '../domain/messages';
import { Mutex } from './mutex';
import { conditionWithin } from './wait';
import type {
  Channel,
  CheckResult,
  ResendResult,
  TimelineEntry,
  VerificationInput,
  VerificationResult,
  VerificationState,
  VerificationStatus,
} from '../domain/types';
import { TERMINAL_STATUSES } from '../domain/types';

const DEFAULT_RETRY_BUDGET_SECONDS = 120;

/** How many attempts fit in `budgetMs` with exponential backoff (the first attempt included). */
export function attemptsWithin(
  budgetMs: number,
  initialMs: number,
  coefficient: number,
  maxMs: number,
): number {
  let attempts = 1;
  let elapsed = 0;
  let delay = initialMs;
  while (elapsed + delay <= budgetMs) {
    elapsed += delay;
    attempts += 1;
    delay = Math.min(delay * coefficient, maxMs);
  }
  return attempts;
}

function activitiesFor(input: VerificationInput) {
  const budgetSeconds = input.policy.retryBudgetSeconds ?? DEFAULT_RETRY_BUDGET_SECONDS;
  const budget = `${budgetSeconds}s`;
  const nonRetryableErrorTypes = Object.values(FailureTypes);
  // Sends are regular activities: on a retry they reconcile with Infobip instead of sending a
  // second PIN. An attempt may make up to three calls, hence 30 s; the 5 s heartbeat lets a
  // cancellation reach a running send.
  const send = proxyActivities<OtpActivities>({
    startToCloseTimeout: '30s',
    heartbeatTimeout: '5s',
    scheduleToCloseTimeout: budget,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', nonRetryableErrorTypes },
  });
  // A repeated resend delivers the same PIN again and counts against the per-number limit,
  // so it is tried a few times only.
  const resend = proxyActivities<OtpActivities>({
    startToCloseTimeout: '30s',
    heartbeatTimeout: '5s',
    scheduleToCloseTimeout: '60s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes },
  });
  // Verify is a regular activity although a person waits for it: it consumes an Infobip
  // attempt, and a local activity is re-run when its workflow task is lost (a crash, an
  // eviction under a flood of checks), which would spend attempts nobody made.
  const verify = proxyActivities<OtpActivities>({
    startToCloseTimeout: '10s',
    scheduleToCloseTimeout: '20s',
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '3s', nonRetryableErrorTypes },
  });
  // Lookup is a read, safe to repeat: a local activity costs one history event instead of
  // three and no round trip through the server's queues. The SDK does not stop local retries
  // at scheduleToCloseTimeout, so the budget is also spent as a number of attempts.
  const lookup = proxyLocalActivities<OtpActivities>({
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: budget,
    localRetryThreshold: '10s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '20s',
      maximumAttempts: attemptsWithin(budgetSeconds * 1000, 1000, 2, 20_000),
      nonRetryableErrorTypes,
    },
  });
  const webhook = proxyActivities<OtpActivities>({
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: '24h',
    retry: {
      initialInterval: '5s',
      backoffCoefficient: 2,
      maximumInterval: '10m',
      nonRetryableErrorTypes: [WebhookFailureTypes.REJECTED],
    },
  });
  return {
    lookupNumber: lookup.lookupNumber,
    sendPin: send.sendPin,
    resendPin: resend.resendPin,
    verifyPin: verify.verifyPin,
    deliverWebhook: webhook.deliverWebhook,
  };
}

/** What an activity failure wraps (the error itself for anything else). */
function rootOf(err: unknown): unknown {
  return err instanceof ActivityFailure ? (err.cause ?? err) : err;
}

/** The ApplicationFailure at the root of an activity failure, if there is one. */
function applicationFailure(err: unknown): ApplicationFailure | undefined {
  const root = rootOf(err);
  return root instanceof ApplicationFailure ? root : undefined;
}

/** The failure type at the root of an activity failure, if it is an ApplicationFailure. */
function failureType(err: unknown): string | undefined {
  return applicationFailure(err)?.type ?? undefined;
}

/** The count of lost send answers an `OtpflowSendAnswersLost` failure carries, if any. */
function lostAnswers(err: unknown): number | undefined {
  const n = applicationFailure(err)?.details?.[0];
  return typeof n === 'number' && n > 0 ? n : undefined;
}

function failureMessage(err: unknown): string {
  const root = rootOf(err);
  return root instanceof Error ? root.message : String(root);
}

/** Runs one OTP verification. See the module comment and `../shared/design.md`. */
export async function verificationWorkflow(input: VerificationInput): Promise<VerificationResult> {
  let destinationKind: 'phone' | 'email';
  try {
    // The client checked the input fully before the start; see domain/input.ts for why the
    // workflow re-checks its form only (and the country, where the application restricts it).
    destinationKind = validateInput(input, 'shape').kind;
  } catch (err) {
    if (err instanceof InvalidInputError) {
      throw ApplicationFailure.nonRetryable(err.message, INVALID_INPUT, err.field, err.reason);
    }
    throw err;
  }
  const { policy } = input;
  const acts = activitiesFor(input);
  // otpflow's own metrics, exported through the worker Runtime's metrics endpoint; the SDK
  // does not emit them while replaying, so each counts once per real event.
  const outcomeCounter = metricMeter.createCounter(
    'otpflow_verification_outcomes',
    'verifications',
    'Verifications ended, by status',
  );
  const sendCounter = metricMeter.createCounter(
    'otpflow_pins_sent',
    'messages',
    'PIN messages sent (sends and resends), by channel',
  );
  metricMeter
    .createCounter('otpflow_verifications_started', 'verifications', 'Verifications started')
    .add(1, { application: input.application });
  const lock = new Mutex();
  const now = () => Date.now();
  const iso = (ms = now()) => new Date(ms).toISOString();

  // Widened on purpose: handlers change it, which TypeScript's narrowing cannot see.
  let status = 'LOOKUP' as VerificationStatus;
  let reason: string | undefined;
  let channel: Channel = input.channel;
  let pinId: string | null = null;
  let wrongCodes = 0;
  let resends = 0;
  let lastSendAt = 0;
  let expiresAt = 0;
  let fallbackIndex = 0;
  let lastCheck: CheckResult | undefined;
  const timeline: TimelineEntry[] = [];

  const attemptsRemaining = () => Math.max(policy.maxAttempts - wrongCodes, 0);
  const resendsRemaining = () => Math.max(policy.maxResends - resends, 0);
  const isTerminal = () => TERMINAL_STATUSES.includes(status);
  const nextResendAt = () =>
    resendsRemaining() > 0 && lastSendAt > 0 ? lastSendAt + policy.resendCooldownSeconds * 1000 : undefined;

  const publish = () => {
    const lines = [
      `**${status}**${reason ? ` — ${reason}` : ''}`,
      `channel: ${channel} · attempts left: ${attemptsRemaining()} · resends: ${resends}/${policy.maxResends}`,
    ];
    if (expiresAt) lines.push(`expires: ${iso(expiresAt)}`);
    setCurrentDetails(lines.join('\n\n'));
  };

  const setStatus = (next: VerificationStatus, why?: string) => {
    const changed = next !== status;
    status = next;
    reason = why;
    // Only states an operator filters by are indexed; LOOKUP is set at start by the client
    // and SENDING is transient, so they cost no history event.
    if (changed && next !== 'SENDING') upsertSearchAttributes([{ key: OTP_STATUS, value: next }]);
    if (isTerminal()) {
      timeline.push({ kind: 'STATUS', at: iso(), status: next, reason: why });
      outcomeCounter.add(1, { application: input.application, status: next });
    }
    publish();
  };

  const setChannel = (next: Channel) => {
    if (next === channel) return;
    channel = next;
    upsertSearchAttributes([{ key: OTP_CHANNEL, value: next }]);
  };

  const stateView = (): VerificationState => ({
    status,
    reason,
    application: input.application,
    channel,
    destinationMasked: input.destinationMasked,
    attemptsRemaining: attemptsRemaining(),
    resendsRemaining: resendsRemaining(),
    expiresAt: expiresAt ? iso(expiresAt) : undefined,
    nextResendAt: status === 'PENDING' && nextResendAt() ? iso(nextResendAt()) : undefined,
    lastCheck,
    timeline,
  });

  const answer = (verified = false): CheckResult => ({
    status,
    verified,
    attemptsRemaining: attemptsRemaining(),
  });

  /** Ends the flow after the first send failed for good. */
  const handleSendFailure = (err: unknown): void => {
    const type = failureType(err);
    if (type === FailureTypes.RATE_LIMITED) setStatus('RATE_LIMITED', failureMessage(err));
    else setStatus('FAILED', `send failed: ${failureMessage(err)}`);
  };

  const destinationFor = (ch: Channel): string | undefined =>
    ch === 'EMAIL'
      ? destinationKind === 'email'
        ? input.destination
        : input.email
      : destinationKind === 'phone'
        ? input.destination
        : undefined;

  const recordSend = (ch: Channel, result: SendPinResult, kind: 'SEND' | 'RESEND') => {
    lastSendAt = now();
    if (result.delivered) sendCounter.add(1, { application: input.application, channel: ch });
    if (kind === 'SEND') {
      timeline.push({
        kind: 'SEND',
        at: iso(),
        channel: ch,
        infobipStatus: result.infobipStatus,
        pinIdKnown: result.pinId !== null,
        ...(result.recovered ? { recovered: result.recovered } : {}),
        ...(result.lostMessages ? { lostMessages: result.lostMessages } : {}),
      });
    } else {
      timeline.push({ kind: 'RESEND', at: iso(), channel: ch, infobipStatus: result.infobipStatus });
    }
  };

  /** Sends a new PIN on `ch`; returns true when the flow can wait for a code. */
  const sendNew = async (ch: Channel): Promise<boolean> => {
    const to = destinationFor(ch);
    if (!to) return false;
    try {
      const result = await acts.sendPin({
        application: input.application,
        channel: ch,
        to,
        language: input.language,
        placeholders: input.placeholders,
      });
      recordSend(ch, result, 'SEND');
      if (!result.delivered || result.pinId === null) {
        if (pinId === null)
          setStatus('UNDELIVERABLE', `Infobip did not deliver the PIN (${result.infobipStatus})`);
        return false;
      }
      pinId = result.pinId;
      setChannel(ch);
      return true;
    } catch (err) {
      if (failureType(err) === FailureTypes.SEND_ANSWERS_LOST) {
        // PINs reached the person but no pinId is known: record the messages they got.
        const lost = lostAnswers(err);
        timeline.push({
          kind: 'SEND',
          at: iso(),
          channel: ch,
          infobipStatus: 'ANSWERS_LOST',
          recovered: 'SENT_BEFORE_PIN_UNKNOWN',
          pinIdKnown: false,
          ...(lost ? { lostMessages: lost } : {}),
        });
      } else {
        timeline.push({
          kind: 'SEND',
          at: iso(),
          channel: ch,
          infobipStatus: `FAILED: ${failureMessage(err)}`,
          pinIdKnown: false,
        });
      }
      if (pinId === null) handleSendFailure(err);
      return false;
    }
  };

  const check = async (rawCode: string): Promise<CheckResult> => {
    // The PIN can reach the phone before the workflow has seen the send complete; a code
    // typed that fast waits for it instead of being refused.
    if (status === 'SENDING') await condition(() => status !== 'SENDING');
    return lock.run(async () => {
      if (status !== 'PENDING' || pinId === null) return answer();
      if (now() >= expiresAt) {
        setStatus('EXPIRED', 'the code arrived after the verification expired');
        timeline.push({
          kind: 'CHECK',
          at: iso(),
          outcome: 'EXPIRED',
          attemptsRemaining: attemptsRemaining(),
        });
        return (lastCheck = answer());
      }
      const code = normalizeCode(rawCode, policy.pin);
      let result;
      try {
        result = await acts.verifyPin({ pinId, code, application: input.application });
      } catch (err) {
        timeline.push({ kind: 'CHECK', at: iso(), outcome: 'ERROR', attemptsRemaining: attemptsRemaining() });
        throw ApplicationFailure.create({
          message: `the code could not be checked now: ${failureMessage(err)}`,
          type: CHECK_UNAVAILABLE,
          nonRetryable: true,
        });
      }
      if (result.verified) {
        timeline.push({
          kind: 'CHECK',
          at: iso(),
          outcome: 'VERIFIED',
          attemptsRemaining: attemptsRemaining(),
        });
        setStatus('VERIFIED');
        return (lastCheck = answer(true));
      }
      if (result.pinError === 'TTL_EXPIRED') {
        setStatus('EXPIRED', 'Infobip reports the PIN expired');
      } else {
        wrongCodes += 1;
        if (result.pinError === 'NO_MORE_PIN_ATTEMPTS' || attemptsRemaining() === 0) {
          setStatus('LOCKED', 'no attempts left');
        } else {
          publish();
        }
      }
      const outcome = status === 'PENDING' ? 'WRONG_CODE' : (status as 'EXPIRED' | 'LOCKED');
      timeline.push({ kind: 'CHECK', at: iso(), outcome, attemptsRemaining: attemptsRemaining() });
      return (lastCheck = answer());
    });
  };

  /** Refuses a message unless the flow is PENDING and not past its expiry (or, for checks, still SENDING). */
  const rejectUnlessPending = (allowSending = false) => {
    if (allowSending && status === 'SENDING') return;
    if (status !== 'PENDING' || now() >= expiresAt) {
      const shown = status === 'PENDING' ? 'EXPIRED' : status;
      throw ApplicationFailure.create({
        message: `verification is ${shown}, not PENDING`,
        type: NOT_PENDING,
        nonRetryable: true,
        details: [shown],
      });
    }
  };

  setHandler(statusQuery, stateView);

  setHandler(verifyUpdate, check, {
    validator: (code: string) => {
      rejectUnlessPending(true);
      try {
        normalizeCode(code, policy.pin);
      } catch (err) {
        if (err instanceof InvalidInputError)
          throw ApplicationFailure.nonRetryable(err.message, INVALID_INPUT, 'code', err.reason);
        throw err;
      }
    },
  });

  setHandler(submitCodeSignal, async (code: string) => {
    try {
      normalizeCode(code, policy.pin);
    } catch {
      // A malformed code costs nothing, as with the update's validator.
      return;
    }
    if (status !== 'PENDING' && status !== 'SENDING') return;
    try {
      await check(code);
    } catch {
      // Infobip unreachable: the signal has no caller to tell; the attempt was not counted.
    }
  });

  setHandler(
    resendUpdate,
    (): Promise<ResendResult> =>
      lock.run(async () => {
        const refused = (why: ResendResult['reason']): ResendResult => ({
          accepted: false,
          status,
          channel,
          resendsRemaining: resendsRemaining(),
          nextResendAt: nextResendAt() ? iso(nextResendAt()) : undefined,
          reason: why,
        });
        if (status !== 'PENDING' || pinId === null) return refused('NOT_PENDING');
        if (resendsRemaining() === 0) return refused('MAX_RESENDS');
        if (now() < (nextResendAt() ?? 0)) return refused('COOLDOWN');
        try {
          const result = await acts.resendPin({
            application: input.application,
            channel,
            pinId,
            placeholders: input.placeholders,
          });
          resends += 1;
          recordSend(channel, result, 'RESEND');
        } catch (err) {
          if (failureType(err) === FailureTypes.RATE_LIMITED) return refused('RATE_LIMITED');
          throw ApplicationFailure.nonRetryable(`resend failed: ${failureMessage(err)}`, RESEND_FAILED);
        }
        publish();
        return { ...refused(undefined), accepted: true, reason: undefined };
      }),
    { validator: () => rejectUnlessPending() },
  );

  setHandler(cancelSignal, (why?: string) => {
    if (isTerminal()) return;
    setStatus('CANCELLED', typeof why === 'string' && why ? why.slice(0, 200) : 'cancelled by request');
  });

  publish();

  // LOOKUP
  if (destinationKind === 'phone' && policy.lookup !== 'OFF') {
    try {
      const look = await acts.lookupNumber({
        application: input.application,
        destination: input.destination,
      });
      timeline.push({
        kind: 'LOOKUP',
        at: iso(),
        outcome: look.outcome,
        reason: look.reason,
        network: look.network,
        country: look.country,
        ported: look.ported,
        roaming: look.roaming,
      });
      if (look.outcome === 'INVALID') setStatus('UNDELIVERABLE', `number lookup: ${look.reason}`);
      else if (look.outcome === 'ABSENT' && policy.lookup === 'REQUIRED') {
        setStatus('UNDELIVERABLE', `number lookup: phone unreachable now (${look.reason})`);
      } else if (look.outcome === 'NO_SMS' && channel === 'SMS') {
        if (policy.voiceForLandlines) setChannel('VOICE');
        else setStatus('UNDELIVERABLE', `number lookup: cannot receive SMS (${look.reason})`);
      }
    } catch (err) {
      timeline.push({ kind: 'LOOKUP', at: iso(), outcome: 'ERROR', reason: failureMessage(err) });
      if (policy.lookup === 'REQUIRED') setStatus('FAILED', `number lookup failed: ${failureMessage(err)}`);
    }
  }

  // SENDING
  if (!isTerminal()) {
    setStatus('SENDING');
    const sent = await sendNew(channel);
    if (!isTerminal()) {
      if (sent) {
        expiresAt = lastSendAt + policy.ttlSeconds * 1000;
        setStatus('PENDING');
      } else {
        setStatus('FAILED', 'no PIN could be sent');
      }
    }
  }

  // PENDING: wait for a code, the expiry, a cancel or the next fallback step.
  while (status === 'PENDING') {
    const step = policy.fallback[fallbackIndex];
    const fallbackAt = step ? lastSendAt + step.afterSeconds * 1000 : Infinity;
    const wakeAt = Math.min(expiresAt, fallbackAt);
    const observedSendAt = lastSendAt;
    await conditionWithin(
      () => status !== 'PENDING' || lastSendAt !== observedSendAt,
      Math.max(wakeAt - now(), 1),
    );
    if (status !== 'PENDING' || lastSendAt !== observedSendAt) continue;
    if (now() >= expiresAt) {
      // A check in flight started before the deadline; let it finish before deciding.
      await lock.run(async () => {
        if (status === 'PENDING') setStatus('EXPIRED', 'no correct code before the verification expired');
      });
    } else if (step && now() >= fallbackAt) {
      fallbackIndex += 1;
      await lock.run(async () => {
        if (status !== 'PENDING') return;
        const from = channel;
        if (await sendNew(step.channel))
          timeline.push({ kind: 'FALLBACK', at: iso(), from, to: step.channel });
        publish();
      });
    }
  }

  // Every handler must be done before the result is final (a check waiting on the lock
  // answers with the terminal status). Usually they are: then no wait, and no promises.
  if (!allHandlersFinished()) await condition(allHandlersFinished);

  if (input.webhook) {
    try {
      const res = await acts.deliverWebhook({
        application: input.application,
        url: input.webhook.url,
        secretRef: input.webhook.secretRef,
        body: {
          verificationId: workflowInfo().workflowId,
          application: input.application,
          status,
          reason,
          verified: status === 'VERIFIED',
          channel,
          destinationHash: input.destinationHash,
          finishedAt: iso(),
        },
      });
      timeline.push({ kind: 'WEBHOOK', at: iso(), outcome: 'DELIVERED', httpStatus: res.httpStatus });
    } catch {
      // Retried for a day by its retry policy; the verification's own outcome stands.
      timeline.push({ kind: 'WEBHOOK', at: iso(), outcome: 'FAILED' });
    }
  }

  return { status, reason, verified: status === 'VERIFIED', channel, timeline };
}
