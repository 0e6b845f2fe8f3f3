/** Visibility queries behind `OtpClient.list` and `listPage`, built only from validated values. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, optionalTsToDate, type Payload } from '@temporalio/common';
import { OTP_APPLICATION, OTP_CHANNEL, OTP_STATUS } from '../domain/constants';
import type { Channel, VerificationStatus } from '../domain/types';
import { CHANNELS, VERIFICATION_STATUSES } from '../domain/types';
import { InvalidInputError } from './errors';

const STATUSES = VERIFICATION_STATUSES;

/** Filter of `OtpClient.list`. */
export interface ListFilter {
  status?: string;
  application?: string;
  channel?: string;
  /** Most verifications returned (per page for `listPage`). @default 50 */
  limit?: number;
}

/** A page of `OtpClient.listPage`. */
export interface VerificationPage {
  verifications: VerificationSummary[];
  /** Present when more rows follow: pass it as `pageToken` for the next page. */
  nextPageToken?: string;
}

/** One row of a list: never the destination. */
export interface VerificationSummary {
  id: string;
  status: VerificationStatus;
  application: string;
  channel: Channel;
  startedAt: string;
  closedAt?: string;
}

const quote = (s: string) => `"${s}"`;

/**
 * Builds `WorkflowType="…" AND OtpApplication IN (…) AND OtpStatus="PENDING" …` from a filter.
 * Throws `InvalidInputError` for an unknown status, channel or application (which also keeps
 * arbitrary text out of the query).
 */
export function listQuery(filter: ListFilter, applications: readonly string[], workflowType: string): string {
  const parts = [`WorkflowType=${quote(workflowType)}`];
  if (filter.application !== undefined) {
    if (!applications.includes(filter.application))
      throw new InvalidInputError('application', `unknown application "${filter.application.slice(0, 64)}"`);
    parts.push(`OtpApplication=${quote(filter.application)}`);
  } else {
    parts.push(`OtpApplication IN (${applications.map(quote).join(', ')})`);
  }
  if (filter.status !== undefined) {
    const status = filter.status.toUpperCase() as VerificationStatus;
    if (!STATUSES.includes(status))
      throw new InvalidInputError('status', `must be one of ${STATUSES.join(', ')}`);
    parts.push(`OtpStatus=${quote(status)}`);
  }
  if (filter.channel !== undefined) {
    const channel = filter.channel.toUpperCase() as Channel;
    if (!CHANNELS.includes(channel)) throw new InvalidInputError('channel', 'must be sms, voice or email');
    parts.push(`OtpChannel=${quote(channel)}`);
  }
  if (
    filter.limit !== undefined &&
    (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > 1000)
  ) {
    throw new InvalidInputError('limit', 'must be an integer from 1 to 1000');
  }
  return parts.join(' AND ');
}

/** A page token: Temporal's token (base64url) and a MAC binding it to the query. */
export const PAGE_TOKEN_PATTERN = /^([A-Za-z0-9_-]{1,4000})\.([0-9a-f]{32})$/;

function mac(key: Buffer, query: string, token: Buffer): string {
  return createHmac('sha256', key).update(query).update('\0').update(token).digest('hex').slice(0, 32);
}

/** Temporal's token inside a page token this client gave for `query`, else `InvalidInputError`. */
function openPageToken(pageToken: string, query: string, key: Buffer): Buffer {
  const m = PAGE_TOKEN_PATTERN.exec(pageToken);
  const token = m ? Buffer.from(m[1] as string, 'base64url') : undefined;
  const given = m ? Buffer.from(m[2] as string, 'hex') : undefined;
  if (!token || !given || !timingSafeEqual(given, Buffer.from(mac(key, query, token), 'hex')))
    throw new InvalidInputError('pageToken', 'is not a token this API gave for these filters');
  return token;
}

function keyword(fields: Record<string, Payload> | null | undefined, name: string): string | undefined {
  const payload = fields?.[name];
  if (!payload) return undefined;
  const value = defaultPayloadConverter.fromPayload<unknown>(payload);
  return typeof (Array.isArray(value) ? value[0] : value) === 'string'
    ? ((Array.isArray(value) ? value[0] : value) as string)
    : undefined;
}

/**
 * One page of a visibility query, straight from Temporal's `ListWorkflowExecutions` so that
 * its page token can be handed out. Reads search attributes only (never memo nor payloads),
 * so it needs no encryption key. Page tokens carry a MAC (keyed with `key`) over the query:
 * a token this client did not give for the same filters is refused with
 * `InvalidInputError('pageToken')` before Temporal sees it.
 */
export async function listPage(
  client: Client,
  query: string,
  limit: number,
  pageToken: string | undefined,
  key: Buffer,
): Promise<VerificationPage> {
  const token = pageToken === undefined ? undefined : openPageToken(pageToken, query, key);
  const res = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query,
    pageSize: limit,
    ...(token ? { nextPageToken: token } : {}),
  });
  const verifications = res.executions.map((raw): VerificationSummary => {
    const fields = raw.searchAttributes?.indexedFields as Record<string, Payload> | undefined;
    const closed = optionalTsToDate(raw.closeTime);
    return {
      id: raw.execution?.workflowId ?? '',
      status: (keyword(fields, OTP_STATUS.name) ?? 'LOOKUP') as VerificationStatus,
      application: keyword(fields, OTP_APPLICATION.name) ?? '',
      channel: (keyword(fields, OTP_CHANNEL.name) ?? 'SMS') as Channel,
      startedAt: (optionalTsToDate(raw.startTime) ?? new Date(0)).toISOString(),
      ...(closed ? { closedAt: closed.toISOString() } : {}),
    };
  });
  const next = res.nextPageToken && res.nextPageToken.length > 0 ? Buffer.from(res.nextPageToken) : undefined;
  return {
    verifications,
    ...(next ? { nextPageToken: `${next.toString('base64url')}.${mac(key, query, next)}` } : {}),
  };
}
