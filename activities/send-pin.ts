/**
 * `sendPin` and `resendPin`: the activities that make Infobip deliver a PIN.
 *
 * ## No second PIN: what a retried send does, and why
 *
 * Infobip's send has no idempotency key. When a send's answer is lost (connection reset after
 * the request was written, headers timeout, dropped response, worker crash), Infobip may or may
 * not have generated and delivered a PIN, and only the lost answer carried its `pinId` — the
 * one handle that can verify or resend it. A blind retry could make a person receive two
 * different PINs without any record of it.
 *
 * So a retry attempt (`info.attempt > 1`) never sends blind. It first asks Infobip's
 * verification status for the destination and application for a PIN sent since the send
 * started: the time an earlier attempt recorded in its heartbeat details (`maybeSentSinceMs`),
 * else when the activity was first scheduled (`info.scheduledTimestampMs`). The check runs on
 * every retry — safety must not depend on a heartbeat having reached the server; the details
 * only make the `recovered` label precise (they are null when a failure proves nothing reached
 * Infobip: connection refused, a 4xx answer).
 *
 * The details are not heartbeated before the send: a heartbeat still on its way when the send
 * completes delays the completion (the SDK sends it first), and that delay let the person's
 * check overtake the send's result, costing the check a workflow task (BENCHMARKS.md). They
 * are heartbeated while a slow send runs, and recorded when an attempt fails; after a crash
 * the next attempt falls back to `info.scheduledTimestampMs`, which is earlier, so safe. Then:
 *
 * - no PIN sent since then → the earlier send never went out: send normally, one message in
 *   all, result `recovered: 'NOT_SENT_BEFORE'`;
 * - n PINs went out since then (1 ≤ n < `maxLostAnswers`) → their `pinId`s are unknowable
 *   (verification status lists sends, not pinIds), so they can never be verified or resent.
 *   Send one fresh PIN and return `recovered: 'SENT_BEFORE_PIN_UNKNOWN'`, `lostMessages: n`
 *   and the new `pinId`. The person gets **n + 1 messages, the minimum the API allows**: one
 *   per lost answer and the one that works; only the newest PIN verifies, which the timeline
 *   records. Sending nothing would leave them unable to verify at all; a resend is
 *   impossible without a pinId. Usually n is 1; it is 2 when the recovery send's own answer
 *   was lost as well (a worker killed twice in a row during the same send).
 * - `maxLostAnswers` PINs went out (default 3) → something loses every answer (a proxy, a
 *   too-short timeout, a worker that dies right after each send): fail for good
 *   (`OtpflowSendAnswersLost`, the count in its details) rather than keep texting the person.
 * - the status call itself fails → the attempt fails (retryable) without sending: never send
 *   blind.
 *
 * No design sends fewer: the lost PIN could only be verified or resent through its pinId, and
 * no Infobip call returns pinIds of earlier sends.
 *
 * SMS sends go with `ncNeeded=false`: the workflow's own lookup step (per the application's
 * lookup policy) already decided whether to send, and one lookup per verification is enough.
 *
 * Sends are compared with a small clock-skew allowance (`clockSkewMs`) since the time is the
 * worker's and `sentAt` is Infobip's. Resends repeat the *same* PIN, so a lost resend answer is
 * retried as is: at worst the person gets the same PIN twice, which still verifies.
 */
import { Context } from '@temporalio/activity';
import { fitsChannel, isE164, parseDestination } from '../domain/destination';
import { FailureTypes } from '../domain/failures';
import type { Channel } from '../domain/types';
import type { InfobipClient } from '../infobip/client';
import { InfobipError } from '../infobip/errors';
import type { SendEmailPinResponse, SendPinResponse } from '../infobip/types';
import type { ApplicationDirectory } from './directory';
import { Heartbeats, guarded } from './context';
import { checkIdentity } from './identity-check';
import { permanent, type TranslateOptions } from './failures';
import type { GuardFeedSink, ResendPinInput, SendPinInput, SendPinResult } from './types';

/** Heartbeat details of `sendPin`, carried from one attempt to the next by Temporal. */
export interface SendHeartbeat {
  /** Worker time (ms) when the first send that may have reached Infobip started; null: none did. */
  maybeSentSinceMs: number | null;
}

/** What the send activities need. */
export interface SendDeps {
  infobip: InfobipClient;
  directory: ApplicationDirectory;
  translate: TranslateOptions;
  /** Allowance (ms) for the difference between the worker's and Infobip's clocks. */
  clockSkewMs: number;
  heartbeatIntervalMs: number;
  /** Lost send answers after which a send stops for good instead of sending a fresh PIN. */
  maxLostAnswers: number;
  /** Told of every PIN that went out (the abuse guard's feed). */
  guardFeed?: GuardFeedSink;
  /** The deployment's destination-hash key: the first send checks the caller's (see `identity-check.ts`). */
  destinationHashKey?: Buffer;
}

/** Rejects a destination that cannot carry a PIN over the channel, before any call. */
export function checkDestination(channel: Channel, to: string): void {
  if (!fitsChannel(channel, to)) {
    throw permanent(
      FailureTypes.INVALID_DESTINATION,
      channel === 'EMAIL'
        ? 'destination is not an e-mail address'
        : `destination is not an E.164 number (${channel})`,
    );
  }
}

function placeholdersOf(p: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!p) return undefined;
  // Infobip generates the PIN; a `pin` placeholder would be refused.
  const { pin: _pin, ...rest } = p;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * Country of a phone destination for metrics labels (ISO 3166-1 alpha-2), or undefined.
 * libphonenumber-js is loaded once per worker; a number it cannot place has none.
 */
export function countryOf(to: string): string | undefined {
  if (!isE164(to)) return undefined;
  try {
    const d = parseDestination(to, 'SMS');
    return d.kind === 'phone' ? d.country : undefined;
  } catch {
    return undefined;
  }
}

/** Reduces Infobip's send or resend answer to the workflow's result. */
export function sendResult(channel: Channel, res: SendPinResponse | SendEmailPinResponse): SendPinResult {
  if (channel === 'EMAIL') {
    const name = (res as SendEmailPinResponse).emailStatus?.name ?? 'PENDING_ACCEPTED';
    return { pinId: res.pinId, infobipStatus: name, delivered: !/REJECTED|NOT_SENT|FAILED/.test(name) };
  }
  const { externalMessageId } = res as SendPinResponse;
  const tracked = typeof externalMessageId === 'string' && externalMessageId !== '';
  if (channel === 'VOICE') {
    return {
      pinId: res.pinId,
      infobipStatus: (res as SendPinResponse).callStatus ?? 'PENDING_ACCEPTED',
      delivered: true,
      ...(tracked ? { messageId: externalMessageId } : {}),
    };
  }
  const status = (res as SendPinResponse).smsStatus ?? 'MESSAGE_SENT';
  const delivered = status !== 'MESSAGE_NOT_SENT';
  return {
    pinId: res.pinId,
    infobipStatus: status,
    delivered,
    ...(tracked && delivered ? { messageId: externalMessageId } : {}),
  };
}

/** Builds `sendPin`. */
export function makeSendPin(deps: SendDeps): (input: SendPinInput) => Promise<SendPinResult> {
  return (input) =>
    guarded(deps.translate, async (signal) => {
      checkDestination(input.channel, input.to);
      if (input.claim)
        checkIdentity(deps.destinationHashKey, { application: input.application, ...input.claim });
      const { info } = Context.current();
      const prior = info.heartbeatDetails as SendHeartbeat | undefined;
      // Periodic heartbeats before this attempt's own record must not erase what the last one knew.
      const beats = new Heartbeats<SendHeartbeat>(deps.heartbeatIntervalMs, prior);
      const target = await beats.during(() =>
        deps.directory.template(input.application, input.channel, input.language),
      );
      const { applicationId, messageId } = target;

      let recovered: SendPinResult['recovered'];
      let lostMessages = 0;
      if (info.attempt > 1) {
        // Always asked on a retry, whatever the heartbeat says: safety must not depend on a
        // heartbeat having reached the server. The details only make the label precise.
        const from = (prior?.maybeSentSinceMs ?? info.scheduledTimestampMs) - deps.clockSkewMs;
        const status = await beats.during(() =>
          deps.infobip.getVerificationStatus(applicationId, { msisdn: input.to, sent: true }, { signal }),
        );
        const sentSince = status.verifications.filter(
          (v) => v.sentAt !== undefined && v.sentAt >= from,
        ).length;
        if (sentSince >= deps.maxLostAnswers) {
          // Every answer was lost, again and again: another PIN would likely be lost the
          // same way, and each one is a message to the person. Stop here.
          throw permanent(
            FailureTypes.SEND_ANSWERS_LOST,
            `${sentSince} PINs went out since this send started but every answer was lost; not sending another`,
            sentSince,
          );
        }
        if (sentSince >= 1) {
          recovered = 'SENT_BEFORE_PIN_UNKNOWN';
          lostMessages = sentSince;
        } else if (prior?.maybeSentSinceMs !== null) recovered = 'NOT_SENT_BEFORE';
      }

      // The earliest moment a PIN of this send may have gone out: an attempt after a crash
      // (no details) must not move it past the crashed attempt's send.
      const since = prior?.maybeSentSinceMs ?? (info.attempt > 1 ? info.scheduledTimestampMs : Date.now());
      beats.hold({ maybeSentSinceMs: since });
      const placeholders = placeholdersOf(input.placeholders);
      let res: SendPinResponse | SendEmailPinResponse;
      try {
        res = await beats.during(() => {
          const req = { applicationId, messageId, to: input.to, placeholders };
          // E-mail has no delivery reports: Infobip's e-mail send takes no trackDelivery.
          const track = input.trackDelivery ? { trackDelivery: true } : {};
          if (input.channel === 'SMS')
            return deps.infobip.sendSmsPin({ ...req, ...track }, { signal, ncNeeded: false });
          if (input.channel === 'VOICE') return deps.infobip.sendVoicePin({ ...req, ...track }, { signal });
          return deps.infobip.sendEmailPin(req, { signal });
        });
      } catch (err) {
        if (
          err instanceof InfobipError &&
          !err.mayHaveReachedServer &&
          (prior?.maybeSentSinceMs ?? null) === null
        ) {
          // Nothing of this or an earlier attempt reached Infobip: the next attempt needs no check.
          beats.record({ maybeSentSinceMs: null });
        } else {
          beats.record({ maybeSentSinceMs: since });
        }
        if (err instanceof InfobipError && 'status' in err && err.status === 404)
          deps.directory.forget(input.application);
        throw err;
      }
      const country = input.channel === 'EMAIL' ? undefined : countryOf(input.to);
      const result = { ...sendResult(input.channel, res), ...(country ? { country } : {}) };
      if (result.delivered) deps.guardFeed?.sent(input.application, input.to);
      if (!recovered) return result;
      return lostMessages > 0 ? { ...result, recovered, lostMessages } : { ...result, recovered };
    });
}

/** Builds `resendPin`: the same PIN again, over the channel asked for. */
export function makeResendPin(deps: SendDeps): (input: ResendPinInput) => Promise<SendPinResult> {
  return (input) =>
    guarded(deps.translate, async (signal) => {
      deps.directory.declaration(input.application);
      const beats = new Heartbeats<undefined>(deps.heartbeatIntervalMs);
      const req = { placeholders: placeholdersOf(input.placeholders) };
      const track = input.trackDelivery ? { trackDelivery: true } : {};
      const res = await beats.during(() => {
        if (input.channel === 'SMS')
          return deps.infobip.resendSmsPin(input.pinId, { ...req, ...track }, { signal });
        if (input.channel === 'VOICE')
          return deps.infobip.resendVoicePin(input.pinId, { ...req, ...track }, { signal });
        return deps.infobip.resendEmailPin(input.pinId, req, { signal });
      });
      const result = sendResult(input.channel, res);
      // A resend's answer names its destination (the input carries only the pinId).
      const to = (res as { to?: string }).to;
      if (result.delivered && to) deps.guardFeed?.sent(input.application, to);
      return result;
    });
}
