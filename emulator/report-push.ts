/**
 * How one delivery report is pushed: the subscription it goes to (with Infobip's BASIC security
 * settings), the HTTP POST, and Infobip's retry cycle for a push that failed.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { EmulatorConfigError } from './errors';
import type { DeliveryStatusGroup } from './delivery-table';
import type { ReportBody } from './report-body';

/** Where reports go: Infobip's subscription (notification profile) with optional BASIC security. */
export interface ReportSubscription {
  /** The webhook URL (http or https) reports are POSTed to. */
  url: string;
  /** BASIC security settings: pushes carry `Authorization: Basic base64(username:password)`. */
  basic?: { username: string; password: string };
}

/** Where a push stands. */
export type PushState = 'WAITING' | 'SCHEDULED' | 'PUSHING' | 'RETRYING' | 'DELIVERED' | 'FAILED' | 'DROPPED';

/** One attempt of a push. */
export interface PushAttempt {
  at: string;
  url: string;
  /** HTTP status of the answer; absent after a network error or timeout. */
  httpStatus?: number;
  error?: string;
}

/** A report the emulator pushes (or tried to), as `GET /emulator/reports` shows it. */
export interface ReportPush {
  id: string;
  /** The report's `messageId` (the send's `externalMessageId`). */
  messageId: string;
  pinId: string;
  to: string;
  channel: 'SMS' | 'VOICE';
  /** Status group in the report body. */
  status: DeliveryStatusGroup;
  /** `REPORT`; `DUPLICATE` (the same report again); `STALE_PENDING` (a PENDING after the final report). */
  kind: 'REPORT' | 'DUPLICATE' | 'STALE_PENDING';
  state: PushState;
  attempts: number;
  lastHttpStatus?: number;
  lastError?: string;
  /** Why a DROPPED report was not pushed (`no subscription`, `fault fault-3`). */
  dropReason?: string;
  /** ISO time of the next attempt while RETRYING or SCHEDULED. */
  nextAttemptAt?: string;
  history: PushAttempt[];
  body: ReportBody;
}

const MINUTE_MS = 60_000;

/** Infobip's wait before retry `n` (1, 2, …) of a failed push, `1 min + 1 min·n²`, times `scale`. */
export function retryDelayMs(n: number, scale = 1): number {
  return (MINUTE_MS + MINUTE_MS * n * n) * scale;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a subscription (`{url, basic?: {username, password}}`).
 * @throws EmulatorConfigError naming the field that is wrong.
 */
export function parseSubscription(input: unknown): ReportSubscription {
  const fail = (m: string): never => {
    throw new EmulatorConfigError(`Invalid report subscription: ${m}`);
  };
  if (!isObject(input)) fail('expected a JSON object {url, basic?: {username, password}}');
  const { url, basic } = input as Record<string, unknown>;
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    fail('url must be an absolute http or https URL');
  const out: ReportSubscription = { url: String(url) };
  if (basic !== undefined) {
    if (!isObject(basic)) fail('basic must be an object {username, password}');
    const { username, password } = basic as Record<string, unknown>;
    if (typeof username !== 'string' || username === '' || username.length > 255 || username.includes(':'))
      fail('basic.username must be 1–255 characters without ":"');
    if (typeof password !== 'string' || password === '' || password.length > 255)
      fail('basic.password must be 1–255 characters');
    out.basic = { username: username as string, password: password as string };
  }
  return out;
}

/** POSTs `body` once; resolves with the answer's status, rejects on a network error or timeout. */
export function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
) {
  return new Promise<number>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'POST', headers, agent: false, signal, timeout: timeoutMs }, (res) => {
      res.on('error', reject);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.resume();
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
