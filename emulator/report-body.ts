/**
 * Bodies of the delivery reports the emulator pushes: Infobip's SMS report
 * (`{results:[{messageId, to, sentAt, doneAt, smsCount, mccMnc, price:{pricePerMessage,
 * currency}, status, error}]}`) and its voice report (`voiceCall:{…}` and
 * `price:{pricePerSecond, currency}` instead of `smsCount` and `pricePerMessage`).
 */
import { lookupNumber, type LookupStatus } from './lookup-table';
import type { ReportErrorObject } from './delivery-table';
import type { InboxMessage } from './state';

/** One entry of `results`, as pushed. */
export type ReportResult = Record<string, unknown> & {
  messageId: string;
  to: string;
  status: LookupStatus;
  error: ReportErrorObject;
};

/** The body of one push. */
export interface ReportBody {
  results: ReportResult[];
}

/** Infobip's time format, `yyyy-MM-dd'T'HH:mm:ss.SSSZ`: `2019-11-09T16:00:00.000+0000`. */
export function infobipTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** SMS parts of a text: 160 characters in one part, 153 per part of a longer one. */
function smsParts(text: string): number {
  return text.length <= 160 ? 1 : Math.ceil(text.length / 153);
}

/** Seconds the text-to-speech of a voice message lasts (about 12 characters a second). */
function speechSeconds(text: string): number {
  return Math.max(3, Math.round((text.length / 12) * 10) / 10);
}

/**
 * The report entry for `message` with this status and error; `doneAt` (Unix ms) is absent for a
 * PENDING report. A voice entry says whether the call was answered.
 */
export function reportResult(
  message: InboxMessage,
  status: LookupStatus,
  error: ReportErrorObject,
  doneAt: number | undefined,
): ReportResult {
  const sentAtMs = Date.parse(message.sentAt);
  const mccMnc = lookupNumber(message.to).mccMnc;
  // Field order as in Infobip's examples: ids, times, counts, network, price, status, error.
  const head = {
    messageId: message.externalMessageId ?? message.id,
    to: message.to,
    from: message.from,
    sentAt: infobipTime(sentAtMs),
    ...(doneAt !== undefined && { doneAt: infobipTime(doneAt) }),
  };
  if (message.channel === 'SMS') {
    return {
      ...head,
      smsCount: smsParts(message.text),
      ...(mccMnc && { mccMnc }),
      price: { pricePerMessage: 0.01, currency: 'EUR' },
      status,
      error,
    };
  }
  const voiceCall: Record<string, unknown> = { feature: 'Voice-message', startTime: infobipTime(sentAtMs) };
  const answered = status.groupName === 'DELIVERED' && doneAt !== undefined;
  if (answered) {
    const fileDuration = speechSeconds(message.text);
    const duration = Math.ceil(fileDuration);
    voiceCall.answerTime = infobipTime(Math.max(sentAtMs, doneAt - duration * 1000));
    voiceCall.endTime = infobipTime(doneAt);
    voiceCall.duration = duration;
    voiceCall.chargedDuration = duration;
    voiceCall.fileDuration = fileDuration;
  } else if (doneAt !== undefined) {
    voiceCall.endTime = infobipTime(doneAt);
    voiceCall.duration = 0;
    voiceCall.chargedDuration = 0;
  }
  return {
    ...head,
    ...(mccMnc && { mccMnc }),
    voiceCall,
    price: { pricePerSecond: answered ? 0.01 : 0, currency: 'EUR' },
    status,
    error,
  };
}
