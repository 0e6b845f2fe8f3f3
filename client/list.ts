/** Visibility queries behind `OtpClient.list`, built only from validated values. */
import type { Channel, VerificationStatus } from '../domain/types';
import { CHANNELS, VERIFICATION_STATUSES } from '../domain/types';
import { InvalidInputError } from './errors';

const STATUSES = VERIFICATION_STATUSES;

/** Filter of `OtpClient.list`. */
export interface ListFilter {
  status?: string;
  application?: string;
  channel?: string;
  /** Most verifications returned. @default 50 */
  limit?: number;
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
