/**
 * The guard workflow: one per application (`otpflow-guard/<application>`), long-lived, holding
 * the pumping breaker's book (`domain/guard-rules.ts`). Workers feed it their aggregated send
 * and verification counts per prefix (`guardFeed`, at most about once a second each);
 * operators block and unblock prefixes (`guardBlock`, `guardUnblock`); every API instance reads
 * its `guardView` about once a second. An automatic block raises an alert: a signed webhook
 * (the application's, through `webhookWorkflow`), the `otpflow_guard_blocks` metric and a log
 * line. The state lives in Temporal alone — it survives worker and server restarts and every
 * instance sees the same — and the workflow continues as new before its history grows large.
 * Its current details in the Web UI show the blocks and the busiest prefixes.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  metricMeter,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { INVALID_INPUT } from '../domain/failures';
import {
  GUARD_ADMISSION_MEMO,
  guardBlockUpdate,
  guardFeedSignal,
  guardUnblockUpdate,
  guardViewQuery,
} from '../domain/guard-messages';
import { GUARD_LIMITS, isGuardSettings } from '../domain/guard-policy';
import { normalisePrefix } from '../domain/guard-prefix';
import { GuardBook } from '../domain/guard-rules';
import type { BlockRequest, GuardFeed, GuardInput, PrefixBlock, UnblockRequest } from '../domain/guard-types';
import { conditionWithin } from './wait';
import { webhookWorkflow } from './webhook';

/** History events after which the guard continues as new (sooner when the server suggests it). */
export const GUARD_HISTORY_LIMIT = 2000;

/** Runs an application's guard. See the module comment. */
export async function guardWorkflow(input: GuardInput): Promise<void> {
  const guard = new GuardFlow(input);
  guard.listen();
  guard.publish();
  while (!guard.shouldRenew()) {
    await guard.waitForWork();
    guard.act();
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof guardWorkflow>(guard.carry());
}

const invalid = (field: string, reason: string) =>
  ApplicationFailure.nonRetryable(`${field}: ${reason}`, INVALID_INPUT, field, reason);

/** Checks an operator's block or unblock before it reaches history; returns the prefix. */
function checkRequest(req: BlockRequest | UnblockRequest, block: boolean): string {
  const prefix = normalisePrefix(req?.prefix);
  if (!prefix) throw invalid('prefix', 'must be a + and 1–11 digits such as +44791');
  if (typeof req.by !== 'string' || req.by.length === 0 || req.by.length > 100)
    throw invalid('by', 'must name who asks (1–100 characters)');
  if (block) {
    const { seconds, reason } = req as BlockRequest;
    const { min, max } = GUARD_LIMITS.coolOffSeconds;
    if (!Number.isInteger(seconds) || seconds < min || seconds > max)
      throw invalid('seconds', `must be an integer from ${min} to ${max}`);
    if (typeof reason !== 'string' || reason.length === 0 || reason.length > 200)
      throw invalid('reason', 'must say why (1–200 characters)');
  } else if (req.reason !== undefined && (typeof req.reason !== 'string' || req.reason.length > 200)) {
    throw invalid('reason', 'must be at most 200 characters');
  }
  return prefix;
}

/** The guard's state and handlers. */
class GuardFlow {
  private readonly book: GuardBook;
  private dirty = false;
  private readonly alerts: PrefixBlock[] = [];
  private alertsStarted = 0;
  private judgedAllAt = 0;
  /** The admission state last upserted to the memo (JSON), to upsert only changes. */
  private admission: string | undefined;
  private readonly blocksMade = metricMeter.createCounter(
    'otpflow_guard_blocks',
    'blocks',
    'Prefixes the abuse guard blocked, by rule',
  );

  constructor(private readonly input: GuardInput) {
    this.book = new GuardBook(input.application, input.settings, input.carried);
  }

  listen(): void {
    setHandler(guardFeedSignal, (feed) => this.feed(feed));
    setHandler(guardBlockUpdate, (req) => this.block(req), {
      validator: (req) => void checkRequest(req, true),
    });
    setHandler(guardUnblockUpdate, (req) => this.unblock(req), {
      validator: (req) => void checkRequest(req, false),
    });
    setHandler(guardViewQuery, () => this.book.view(Date.now()));
  }

  private feed(feed: GuardFeed): void {
    if (isGuardSettings(feed?.settings)) this.book.configure(feed.settings);
    const touched = this.book.record(Array.isArray(feed?.counts) ? feed.counts : [], Date.now());
    this.made(this.book.evaluate(Date.now(), touched));
    this.dirty = true;
  }

  private block(req: BlockRequest): PrefixBlock {
    const block = this.book.block(checkRequest(req, true), req.seconds, req.reason, req.by, Date.now());
    log.warn('guard: prefix blocked by an operator', { application: this.input.application, ...block });
    this.dirty = true;
    return block;
  }

  private unblock(req: UnblockRequest): PrefixBlock | null {
    const prefix = checkRequest(req, false);
    const lifted = this.book.unblock(prefix, req.reason ?? 'lifted by an operator', req.by, Date.now());
    if (lifted)
      log.info('guard: block lifted by an operator', {
        application: this.input.application,
        prefix,
        by: req.by,
      });
    this.dirty = true;
    return lifted ?? null;
  }

  private made(blocks: PrefixBlock[]): void {
    for (const block of blocks) {
      this.alerts.push(block);
      this.blocksMade.add(1, { application: this.input.application, rule: block.rule });
      log.warn('guard: prefix blocked', { application: this.input.application, ...block });
    }
  }

  /** Waits for a feed or an operator, or for the next time the book must look by itself. */
  async waitForWork(): Promise<void> {
    const wake = this.book.nextWake(Date.now());
    if (wake === undefined) await condition(() => this.dirty || this.shouldRenew());
    else await conditionWithin(() => this.dirty || this.shouldRenew(), wake - Date.now());
  }

  /**
   * Re-judges every prefix once per bucket (a feed judges the prefixes it touched at once),
   * raises the alerts of new blocks, shows the state.
   */
  act(): void {
    const now = Date.now();
    if (now - this.judgedAllAt >= this.book.current.breaker.bucketSeconds * 1000) {
      this.made(this.book.evaluate(now));
      this.judgedAllAt = now;
    }
    for (const block of this.alerts.splice(0)) this.alert(block);
    this.dirty = false;
    this.publish();
  }

  private alert(block: PrefixBlock): void {
    const target = this.book.current.alert;
    if (!target) return;
    const { workflowId, runId } = workflowInfo();
    const body = { event: 'guard.blocked', application: this.input.application, ...block };
    // Fire and forget: the webhook workflow retries on its own; the guard does not wait.
    startChild(webhookWorkflow, {
      workflowId: `${workflowId}/alert/${runId}/${++this.alertsStarted}`,
      args: [{ application: this.input.application, url: target.url, secretRef: target.secretRef, body }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `guard alert of ${this.input.application} · ${block.prefix} · ${block.rule}`,
    }).catch((err: unknown) => log.warn('guard: alert not sent', { prefix: block.prefix, err: String(err) }));
  }

  /**
   * Upserts the admission state (blocks, prefixes over their limit) to the memo when it changed
   * — no history event otherwise — and shows the blocks and the busiest prefixes in the Web UI's
   * current details.
   */
  publish(): void {
    const view = this.book.view(Date.now());
    const admission = { blocks: view.blocks, limited: view.limited };
    const json = JSON.stringify(admission);
    if (
      json !== this.admission &&
      (this.admission !== undefined || admission.blocks.length || admission.limited.length)
    )
      upsertMemo({ [GUARD_ADMISSION_MEMO]: admission });
    this.admission = json;
    const lines = [`**guard of ${this.input.application}** — ${view.blocks.length} prefix(es) blocked`];
    for (const b of view.blocks)
      lines.push(`- **${b.prefix}** ${b.rule} until ${b.until}${b.by ? ` by ${b.by}` : ''}: ${b.reason}`);
    if (view.limited.length)
      lines.push(`over velocity limit: ${view.limited.map((l) => l.prefix).join(', ')}`);
    for (const p of view.prefixes.slice(0, 10))
      lines.push(
        `- ${p.prefix}: ${p.sends} sent, ${p.verified} verified, ${p.recentSends} recent (baseline ${p.baseline})`,
      );
    setCurrentDetails(lines.join('\n\n'));
  }

  shouldRenew(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested || info.historyLength > (this.input.historyLimit ?? GUARD_HISTORY_LIMIT)
    );
  }

  carry(): GuardInput {
    return { ...this.input, settings: this.book.current, carried: this.book.carry() };
  }
}
