/**
 * Delivery reports that Infobip pushes to a subscription's webhook for sends and resends made
 * with `trackDelivery: true`: the wire types (SMS and voice) and a tolerant parser for the
 * ingress. Unknown fields are ignored; a body that is not a report fails with
 * `InfobipReportError` naming the place. The report's `messageId` is the send's
 * `externalMessageId`; one body may carry several reports (`results`).
 */
import { InfobipReportError } from './errors';
import type { LookupError, LookupStatus } from './types';

/** Infobip's status groups (`status.groupId` 1–5). */
export type DeliveryStatusGroup = 'PENDING' | 'UNDELIVERABLE' | 'DELIVERED' | 'EXPIRED' | 'REJECTED';

/** Status groups by `groupId`. */
export const DELIVERY_STATUS_GROUPS: Readonly<Record<number, DeliveryStatusGroup>> = {
  1: 'PENDING',
  2: 'UNDELIVERABLE',
  3: 'DELIVERED',
  4: 'EXPIRED',
  5: 'REJECTED',
};

/**
 * `status` of a report, e.g. `{groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET'}`:
 * Infobip's general status object, the one Number Lookup answers with too.
 */
export type DeliveryReportStatus = LookupStatus;

/** `error` of a report (Infobip's shared error object); `permanent` says whether sending again can help. */
export type DeliveryReportError = LookupError;

/** Fields SMS and voice reports share. Times are `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (`…000+0000`). */
interface ReportCommon {
  bulkId?: string;
  /** The send's `externalMessageId`. */
  messageId: string;
  /** Destination as Infobip writes it: digits, no `+`. */
  to: string;
  from?: string;
  sentAt?: string;
  doneAt?: string;
  mccMnc?: string;
  callbackData?: string;
  status: DeliveryReportStatus;
  error?: DeliveryReportError;
}

/** One SMS report. */
export interface SmsDeliveryReport extends ReportCommon {
  smsCount?: number;
  price?: { pricePerMessage?: number; currency?: string };
}

/** One voice report (Infobip's Voice API report shape: the call in `voiceCall`). */
export interface VoiceDeliveryReport extends ReportCommon {
  voiceCall?: {
    feature?: string;
    startTime?: string;
    answerTime?: string;
    endTime?: string;
    /** Seconds. */
    duration?: number;
    chargedDuration?: number;
    fileDuration?: number;
    dtmfCodes?: string;
  };
  price?: { pricePerSecond?: number; currency?: string };
}

/** A pushed body: `{results: [...]}`. */
export interface DeliveryReportBody {
  results: Array<SmsDeliveryReport | VoiceDeliveryReport>;
}

/** One report as the ingress needs it. */
export interface DeliveryReport {
  messageId: string;
  /** Destination as Infobip wrote it (digits without a plus for phone numbers). */
  to: string;
  /** From the body's shape (`voiceCall` or `pricePerSecond` → VOICE; `smsCount` or `pricePerMessage` → SMS). */
  channel?: 'SMS' | 'VOICE';
  /** Status group; `UNKNOWN` when neither `groupId` nor `groupName` is one Infobip documents. */
  group: DeliveryStatusGroup | 'UNKNOWN';
  /** Whether the report ends the message's story (any known group but PENDING). */
  final: boolean;
  /** `error.permanent === true`: the destination will not take this message however often it is sent. */
  permanent: boolean;
  status: DeliveryReportStatus;
  error?: DeliveryReportError;
  /** `sentAt` / `doneAt` in Unix milliseconds, when present. */
  sentAtMs?: number;
  doneAtMs?: number;
  /** The entry as received (unknown fields included). */
  raw: SmsDeliveryReport | VoiceDeliveryReport;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Unix ms of an Infobip time (`2019-11-09T16:00:00.000+0000`, or ISO 8601). */
export function parseInfobipTime(value: string): number | undefined {
  const iso = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

class Reader {
  constructor(
    private readonly obj: Json,
    private readonly path: string,
  ) {}

  private fail(key: string, reason: string): never {
    throw new InfobipReportError(`${this.path}.${key}`, reason);
  }

  string(key: string, required = false): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (required) this.fail(key, 'is missing');
      return undefined;
    }
    if (typeof v !== 'string') this.fail(key, `must be a string, got ${typeof v}`);
    if (required && v.trim() === '') this.fail(key, 'must not be empty');
    return v;
  }

  number(key: string, integer = false): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
      this.fail(key, `must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  object(key: string, required = false): Reader | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (required) this.fail(key, 'is missing');
      return undefined;
    }
    if (!isObject(v)) this.fail(key, 'must be an object');
    return new Reader(v, `${this.path}.${key}`);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  time(key: string): number | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    const ms = parseInfobipTime(v);
    if (ms === undefined) this.fail(key, `is not a time: ${JSON.stringify(v)}`);
    return ms;
  }
}

function statusGroup(status: Reader): DeliveryStatusGroup | 'UNKNOWN' {
  const groupId = status.number('groupId', true);
  const groupName = status.string('groupName');
  const byId = groupId === undefined ? undefined : DELIVERY_STATUS_GROUPS[groupId];
  if (byId) return byId;
  const byName = Object.values(DELIVERY_STATUS_GROUPS).find((g) => g === groupName?.toUpperCase());
  return byName ?? 'UNKNOWN';
}

function parseEntry(entry: unknown, path: string): DeliveryReport {
  if (!isObject(entry)) throw new InfobipReportError(path, 'must be an object');
  const r = new Reader(entry, path);
  const messageId = r.string('messageId', true) as string;
  const to = r.string('to', true) as string;
  for (const key of ['bulkId', 'from', 'mccMnc', 'callbackData']) r.string(key);
  const status = r.object('status', true) as Reader;
  if (!status.has('groupId') && !status.has('groupName'))
    throw new InfobipReportError(`${path}.status`, 'has neither groupId nor groupName');
  const group = statusGroup(status);
  status.number('id', true);
  for (const key of ['name', 'description']) status.string(key);
  const error = r.object('error');
  if (error) {
    error.number('groupId', true);
    error.number('id', true);
    for (const key of ['groupName', 'name', 'description']) error.string(key);
    error.boolean('permanent');
  }
  r.number('smsCount', true);
  const price = r.object('price');
  price?.number('pricePerMessage');
  price?.number('pricePerSecond');
  price?.string('currency');
  const call = r.object('voiceCall');
  if (call) {
    for (const key of ['startTime', 'answerTime', 'endTime']) call.time(key);
    for (const key of ['duration', 'chargedDuration', 'fileDuration']) call.number(key);
  }
  const raw = entry as unknown as SmsDeliveryReport | VoiceDeliveryReport;
  let channel: DeliveryReport['channel'];
  if (call || price?.has('pricePerSecond')) channel = 'VOICE';
  else if (r.has('smsCount') || price?.has('pricePerMessage')) channel = 'SMS';
  return {
    messageId,
    to,
    channel,
    group,
    final: group !== 'PENDING' && group !== 'UNKNOWN',
    permanent: raw.error?.permanent === true,
    status: raw.status,
    error: raw.error ?? undefined,
    sentAtMs: r.time('sentAt'),
    doneAtMs: r.time('doneAt'),
    raw,
  };
}

/**
 * The reports of one pushed body: a parsed JSON value, or the raw text / bytes of the request.
 * @throws InfobipReportError when the body is not JSON, has no `results` array, or an entry
 *   lacks `messageId`, `to` or `status` (with `groupId` or `groupName`) or has a field of the
 *   wrong type. Fields the parser does not know are ignored.
 */
export function parseDeliveryReports(body: unknown): DeliveryReport[] {
  let value = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    try {
      value = JSON.parse(text) as unknown;
    } catch (err) {
      throw new InfobipReportError('', `is not JSON: ${(err as Error).message}`);
    }
  }
  if (!isObject(value)) throw new InfobipReportError('', 'must be a JSON object {"results": [...]}');
  const results = value.results;
  if (!Array.isArray(results)) throw new InfobipReportError('results', 'must be an array');
  return results.map((entry, i) => parseEntry(entry, `results[${i}]`));
}
