/**
 * The abuse guard's checks before a start, in the client library — so the library, the CLI and
 * the HTTP API refuse alike, before any workflow starts and before Infobip is asked:
 *
 * - a blocked prefix (`PREFIX_BLOCKED`) and a prefix over its velocity limit
 *   (`PREFIX_VELOCITY`), from the application's guard workflow, whose admission memo
 *   `GuardWatcher` caches (an API instance refreshes it every second: an in-memory look-up per
 *   start);
 * - per-destination, per-client-IP and per-session velocity limits: a visibility count each,
 *   only when the application sets that limit;
 * - for a caller-chosen ID, a running LOCKED verification of the same destination (a
 *   visibility list): a derived ID attaches to that flow, whose `start` validator refuses.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { OTP_APPLICATION } from '../domain/constants';
import { GUARD_ADMISSION_MEMO, guardWorkflowId } from '../domain/guard-messages';
import { destinationPrefix, underPrefix } from '../domain/guard-prefix';
import { needsGuardWorkflow, resolveGuardPolicy } from '../domain/guard-policy';
import { blockCovering } from '../domain/guard-rules';
import type { GuardView, VelocityLimit } from '../domain/guard-types';
import type { ApplicationDeclaration } from '../config/types';
import { DestinationLockedError, RateLimitedError, type RateLimitReason } from './errors';
import type { StartContexts } from './start-input';

/** Options of `GuardWatcher`. */
export interface GuardWatcherOptions {
  /** How often `watch` refreshes each view, and how old a cached view may be. @default 1000 */
  pollMs?: number;
  /** Deadline of one read of a guard. @default 2000 */
  queryTimeoutMs?: number;
  /** Told when a refresh fails (the last view stays in use). */
  onError?: (application: string, err: unknown) => void;
}

interface Entry {
  view?: GuardView;
  /** When the last fetch was tried (ms). */
  triedAt: number;
  pending?: Promise<GuardView | undefined>;
}

/** An empty view: no guard workflow yet (nothing was sent since it would have started). */
const emptyView = (application: string): GuardView => ({
  application,
  at: new Date().toISOString(),
  blocks: [],
  limited: [],
  prefixes: [],
  lifted: [],
});

/**
 * The view a start is judged by, from the guard's admission memo (`GUARD_ADMISSION_MEMO`):
 * its blocks and prefixes over their velocity limit; empty before the guard blocked anything.
 */
function admissionView(application: string, memo: unknown): GuardView {
  const m = memo as Partial<Pick<GuardView, 'blocks' | 'limited'>> | undefined;
  return {
    ...emptyView(application),
    blocks: Array.isArray(m?.blocks) ? m.blocks : [],
    limited: Array.isArray(m?.limited) ? m.limited : [],
  };
}

/**
 * Caches what a start is judged by (blocks, prefixes over their limit) for applications' guard
 * workflows, read from their admission memo with a describe call (no worker involved). `watch` refreshes them in the
 * background (an API instance); without it, `view` fetches on demand (a CLI run).
 */
export class GuardWatcher {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Client,
    private readonly options: GuardWatcherOptions = {},
  ) {}

  private get pollMs(): number {
    return this.options.pollMs ?? 1000;
  }

  /** Refreshes the views of `applications` every `pollMs` until `close`. */
  watch(applications: readonly string[]): void {
    if (this.timer || applications.length === 0) return;
    const tick = () => {
      for (const app of applications) void this.refresh(app);
    };
    tick();
    this.timer = setInterval(tick, this.pollMs);
    this.timer.unref();
  }

  /**
   * The application's view: the cached one when fetched (or tried) within `pollMs`, else a
   * fresh one. Undefined when the guard could not be read and nothing is cached.
   */
  async view(application: string): Promise<GuardView | undefined> {
    const entry = this.entries.get(application);
    if (entry && Date.now() - entry.triedAt < this.pollMs) return entry.pending ?? entry.view;
    return this.refresh(application);
  }

  /** The cached view, without fetching. */
  peek(application: string): GuardView | undefined {
    return this.entries.get(application)?.view;
  }

  private refresh(application: string): Promise<GuardView | undefined> {
    const entry = this.entries.get(application) ?? { triedAt: 0 };
    this.entries.set(application, entry);
    if (entry.pending) return entry.pending;
    entry.triedAt = Date.now();
    const handle = this.client.workflow.getHandle(guardWorkflowId(application));
    const deadline = Date.now() + (this.options.queryTimeoutMs ?? 2000);
    entry.pending = this.client
      .withDeadline(deadline, () => handle.describe())
      .then((d) => admissionView(application, d.memo?.[GUARD_ADMISSION_MEMO]))
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return emptyView(application);
        this.options.onError?.(application, err);
        return entry.view;
      })
      .then((view) => {
        entry.view = view;
        entry.pending = undefined;
        return view;
      });
    return entry.pending;
  }

  /** Stops the background refresh. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** What `admitStart` needs to know about a start. */
export interface StartToAdmit {
  app: ApplicationDeclaration;
  /** Normalised destination (E.164 or e-mail). */
  destination: string;
  destinationHash: string;
  /** Whether the caller chose the verification ID. */
  callerId: boolean;
  contexts: StartContexts;
}

const secondsUntil = (ms: number) => Math.max(1, Math.ceil((ms - Date.now()) / 1000));
const refuse = (reason: RateLimitReason, untilMs: number) =>
  new RateLimitedError(reason, secondsUntil(untilMs), new Date(untilMs).toISOString());

/**
 * Refuses a start the application's guard does not admit (see the module comment): throws
 * `RateLimitedError` (with `retryAfterSeconds`) or `DestinationLockedError`. Test numbers
 * pass every rule but the lockout.
 */
export async function admitStart(
  client: Client,
  watcher: GuardWatcher | undefined,
  s: StartToAdmit,
): Promise<void> {
  const guard = resolveGuardPolicy(s.app.guard);
  const testNumber = guard.breaker.testNumbers.includes(s.destination);
  const prefix = destinationPrefix(s.destination, guard.breaker.prefixDigits);
  if (!testNumber && prefix && watcher && needsGuardWorkflow(guard)) {
    const view = await watcher.view(s.app.name);
    const block = view && blockCovering(view.blocks, s.destination);
    if (block) throw refuse('PREFIX_BLOCKED', Date.parse(block.until));
    const limited = view?.limited.find((l) => underPrefix(s.destination, l.prefix));
    if (limited) throw refuse('PREFIX_VELOCITY', Date.parse(limited.until));
  }
  const base = `WorkflowType="verificationWorkflow" AND ${OTP_APPLICATION.name}="${s.app.name}"`;
  const { perDestination, perClientIp, perSession } = guard.velocity;
  const checks: [VelocityLimit | undefined, string | undefined, RateLimitReason][] = testNumber
    ? []
    : [
        [perDestination, `OtpDestinationHash="${s.destinationHash}"`, 'DESTINATION_VELOCITY'],
        [perClientIp, s.contexts.clientIp && `OtpContext="${s.contexts.clientIp}"`, 'CLIENT_IP_VELOCITY'],
        [perSession, s.contexts.sessionId && `OtpContext="${s.contexts.sessionId}"`, 'SESSION_VELOCITY'],
      ];
  for (const [limit, clause, reason] of checks) {
    if (!limit || !clause) continue;
    const until = await velocityUntil(client, `${base} AND ${clause}`, limit);
    if (until !== undefined) throw refuse(reason, until);
  }
  if (s.callerId) await refuseIfLocked(client, base, s.destinationHash);
}

/**
 * When a velocity limit over `query` lets the next start through (ms), or undefined when it
 * is not reached. Counts first (the usual answer); lists the window's start times only to say
 * when a refused start may try again.
 */
async function velocityUntil(
  client: Client,
  query: string,
  limit: VelocityLimit,
): Promise<number | undefined> {
  const windowMs = limit.windowSeconds * 1000;
  const inWindow = `${query} AND StartTime > "${new Date(Date.now() - windowMs).toISOString()}"`;
  const { count } = await client.workflow.count(inWindow);
  if (count < limit.max) return undefined;
  const starts: number[] = [];
  for await (const wf of client.workflow.list({ query: inWindow, pageSize: Math.min(count, 1000) })) {
    starts.push(wf.startTime.getTime());
    if (starts.length >= 1000) break;
  }
  starts.sort((a, b) => a - b);
  // The count drops under the limit once the (count − max + 1) oldest have left the window.
  const leaving = starts[Math.min(count - limit.max, starts.length - 1)];
  return (leaving ?? Date.now()) + windowMs;
}

/** Throws `DestinationLockedError` when a running verification keeps the destination locked. */
async function refuseIfLocked(client: Client, base: string, destinationHash: string): Promise<void> {
  const query = `${base} AND ExecutionStatus="Running" AND OtpDestinationHash="${destinationHash}" AND OtpStatus="LOCKED"`;
  for await (const wf of client.workflow.list({ query, pageSize: 10 })) {
    const until = wf.memo?.lockedUntil;
    if (typeof until === 'string' && Date.parse(until) > Date.now())
      throw new DestinationLockedError(until, wf.workflowId);
  }
}

/** The context hashes a start indexes as `OtpContext`: those the application limits. */
export function indexedContexts(app: ApplicationDeclaration, contexts: StartContexts): string[] {
  const { perClientIp, perSession } = resolveGuardPolicy(app.guard).velocity;
  return [perClientIp && contexts.clientIp, perSession && contexts.sessionId].filter(
    (c): c is string => typeof c === 'string',
  );
}
