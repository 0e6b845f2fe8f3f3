/** What the `otpflow` CLI prints and which exit code it ends with. */
import { isConfigError } from '../config/errors';
import { TERMINAL_STATUSES, type CheckResult } from '../domain/types';
import { isLibraryError, OtpErrorCodes, type LibraryError } from '../client/errors';
import type { StartResult, VerificationSummary, VerificationView } from '../client/otp-client';
import { ExitCode } from './exit-codes';

/** Where the CLI writes. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

function until(iso: string | undefined): string {
  if (!iso) return '';
  const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (s <= 0) return ` (passed)`;
  return s >= 120 ? ` (in ${Math.round(s / 60)} min)` : ` (in ${s} s)`;
}

const rows = (pairs: [string, string | number | undefined][]) =>
  pairs
    .filter((p) => p[1] !== undefined && p[1] !== '')
    .map(([k, v]) => `  ${k.padEnd(10)}${v}`)
    .join('\n');

/** Human lines for a started (or attached) verification. */
export function formatStart(r: StartResult): string {
  const ended = TERMINAL_STATUSES.includes(r.status);
  const head = ended
    ? `✘ Verification ${r.id} ended ${r.status} at once: no code to check.`
    : r.created
      ? `Verification started: ${r.id}`
      : `A verification for this destination is already pending; nothing new was sent: ${r.id}`;
  const pending = r.status === 'PENDING';
  return [
    head,
    rows([
      ['status', r.status],
      ['channel', `${r.channel} to ${r.destination}`],
      ['expires', r.expiresAt ? `${r.expiresAt}${until(r.expiresAt)}` : undefined],
      [
        'language',
        r.requestedLanguage ? `${r.language} (no template in "${r.requestedLanguage}")` : undefined,
      ],
    ]),
    pending ? `Check the code with: otpflow verify ${r.id} <code>` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Human line for a check outcome, and its exit code. */
export function formatCheck(id: string, r: CheckResult): [string, number] {
  if (r.verified) return [`✔ Verified: ${id}`, ExitCode.OK];
  switch (r.status) {
    case 'PENDING':
      return [
        `✘ Wrong code: ${r.attemptsRemaining} attempt${r.attemptsRemaining === 1 ? '' : 's'} left.`,
        ExitCode.FAILED,
      ];
    case 'LOCKED':
      return ['✘ Wrong code, and no attempts are left: the verification is LOCKED.', ExitCode.FAILED];
    case 'EXPIRED':
      return ['✘ The code came too late: the verification EXPIRED.', ExitCode.FAILED];
    default:
      return [`✘ Not verified: the verification is ${r.status}.`, ExitCode.FAILED];
  }
}

/** Human lines for a verification's state. */
export function formatView(v: VerificationView): string {
  return [
    `${v.id}`,
    rows([
      ['status', v.reason ? `${v.status} — ${v.reason}` : v.status],
      ['app', v.application],
      ['channel', `${v.channel} to ${v.destination}`],
      ['delivery', deliveryLine(v)],
      ['attempts', v.attemptsRemaining !== undefined ? `${v.attemptsRemaining} left` : undefined],
      ['resends', v.resendsRemaining !== undefined ? `${v.resendsRemaining} left` : undefined],
      ['expires', v.expiresAt ? `${v.expiresAt}${until(v.expiresAt)}` : undefined],
      ['resend at', v.nextResendAt],
      ['started', v.startedAt],
      ['closed', v.closedAt],
    ]),
  ].join('\n');
}

/** `SMS DELIVERED at …`, `VOICE UNDELIVERABLE (EC_ABSENT_SUBSCRIBER)`; nothing for untracked messages. */
function deliveryLine(v: VerificationView): string | undefined {
  const d = v.delivery;
  if (!d || d.status === 'UNTRACKED') return undefined;
  const why = d.reason && d.status !== 'DELIVERED' ? ` (${d.reason})` : '';
  return `${d.channel} ${d.status}${why}${d.at ? ` at ${d.at}` : ''}`;
}

/** A table of verifications. */
export function formatList(list: VerificationSummary[]): string {
  if (list.length === 0) return 'No verifications match.';
  const header = ['ID', 'STATUS', 'APP', 'CHANNEL', 'STARTED'];
  const table = [header, ...list.map((r) => [r.id, r.status, r.application, r.channel, r.startedAt])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  return table
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const RESEND_REASONS: readonly string[] = ['COOLDOWN', 'MAX_RESENDS', 'RATE_LIMITED'];

/** Message, JSON body and exit code for an error of the client library. */
function describeLibraryError(err: LibraryError): {
  message: string;
  json: Record<string, unknown>;
  exit: number;
} {
  const base = { code: err.code, message: err.message };
  switch (err.code) {
    case OtpErrorCodes.INVALID_INPUT:
      return { message: err.message, json: { ...base, field: err.field }, exit: ExitCode.BAD_INPUT };
    case OtpErrorCodes.UNKNOWN_VERIFICATION:
      return { message: err.message, json: base, exit: ExitCode.NOT_FOUND };
    case OtpErrorCodes.ALREADY_FINISHED:
      return {
        message: `✘ Verification ${err.id} already finished as ${err.status}; nothing was checked or sent.`,
        json: { ...base, status: err.status },
        exit: ExitCode.FAILED,
      };
    case OtpErrorCodes.RATE_LIMITED: {
      const when = err.retryAfterSeconds !== undefined ? ` Try again in ${err.retryAfterSeconds} s.` : '';
      const what = err.id
        ? `No PIN sent: verification ${err.id} ended RATE_LIMITED`
        : RESEND_REASONS.includes(err.reason)
          ? 'Resend refused'
          : 'Start refused';
      return {
        message: `✘ ${what} (${err.reason}).${when}`,
        json: {
          ...base,
          ...(err.id ? { id: err.id } : {}),
          reason: err.reason,
          retryAfterSeconds: err.retryAfterSeconds,
          retryAt: err.retryAt,
        },
        exit: ExitCode.FAILED,
      };
    }
    case OtpErrorCodes.UNDELIVERABLE:
    case OtpErrorCodes.SEND_FAILED: {
      const exit =
        err.code === OtpErrorCodes.SEND_FAILED && err.retryable ? ExitCode.UNREACHABLE : ExitCode.FAILED;
      return {
        message: `✘ No PIN sent (${err.reasonCode}): ${err.message} Verification: ${err.id}`,
        json: { ...base, id: err.id, reasonCode: err.reasonCode },
        exit,
      };
    }
    case OtpErrorCodes.MISCONFIGURED:
      return { message: err.message, json: { ...base, variable: err.variable }, exit: ExitCode.CONFIG };
    case OtpErrorCodes.DESTINATION_LOCKED:
      return {
        message: `✘ Start refused: the destination is locked until ${err.lockedUntil} (try again in ${err.retryAfterSeconds} s); nothing was sent.`,
        json: { ...base, lockedUntil: err.lockedUntil, retryAfterSeconds: err.retryAfterSeconds },
        exit: ExitCode.FAILED,
      };
    case OtpErrorCodes.TEMPORAL_UNREACHABLE:
    case OtpErrorCodes.CHECK_UNAVAILABLE:
      return { message: err.message, json: base, exit: ExitCode.UNREACHABLE };
  }
}

/** Message, JSON body and exit code for an error a command threw. */
export function describeError(err: unknown): {
  message: string;
  json: Record<string, unknown>;
  exit: number;
} {
  if (isLibraryError(err)) return describeLibraryError(err);
  if (isConfigError(err)) {
    const { code, message } = err as Error & { code: string };
    return { message, json: { code, message }, exit: ExitCode.CONFIG };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    message: `unexpected error: ${message}`,
    json: { code: 'OTP_INTERNAL', message },
    exit: ExitCode.INTERNAL,
  };
}
