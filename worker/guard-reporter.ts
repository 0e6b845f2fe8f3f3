/**
 * `GuardReporter`: the worker process's feed of the abuse guard. The send, resend and verify
 * activities tell it of every PIN sent and code verified (`GuardFeedSink`); it keeps counts per
 * application and prefix in memory — never a number — and signals the deltas to each
 * application's guard workflow (signal-with-start, so the first feed starts the guard) at most
 * once per `intervalMs`, and only when there is something to say. At 1,000 verifications a
 * second for one country a guard therefore takes one signal per second per worker process, not
 * thousands. Counts a signal could not deliver are kept for the next one.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { GuardFeedSink } from '../activities/types';
import type { ApplicationDeclaration } from '../config/types';
import { GUARD_WORKFLOW_TYPE, guardFeedSignal, guardWorkflowId } from '../domain/guard-messages';
import { guardSettingsOf, needsGuardWorkflow, resolveGuardPolicy } from '../domain/guard-policy';
import { destinationPrefix } from '../domain/guard-prefix';
import type { GuardInput, GuardSettings, PrefixCounts } from '../domain/guard-types';

/** Options of `GuardReporter`. */
export interface GuardReporterOptions {
  /** Task queue the guard workflows run on (the workers'). */
  taskQueue: string;
  /** Shortest time between two feeds of one guard. @default 1000 */
  intervalMs?: number;
  /** Told when a feed could not be delivered (its counts go with the next one). */
  onError?: (application: string, err: unknown) => void;
}

/** Aggregates the guard's feed in one worker process; see the module comment. */
export class GuardReporter implements GuardFeedSink {
  /** application → prefix → [sends, verified] since the last feed. */
  private counts = new Map<string, Map<string, [number, number]>>();
  private readonly settings = new Map<string, GuardSettings>();
  private readonly reporter = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private client: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFeedAt = 0;
  private feeding: Promise<void> | undefined;
  /** Feeds delivered, for tests and logs. */
  feeds = 0;

  constructor(
    applications: readonly ApplicationDeclaration[],
    private readonly options: GuardReporterOptions,
  ) {
    for (const app of applications) {
      if (needsGuardWorkflow(resolveGuardPolicy(app.guard)))
        this.settings.set(app.name, guardSettingsOf(app));
    }
  }

  private get intervalMs(): number {
    return this.options.intervalMs ?? 1000;
  }

  /** Starts feeding through `client` (the worker's, with its data converter). */
  start(client: Client): void {
    this.client = client;
    this.schedule();
  }

  sent(application: string, to: string): void {
    this.add(application, to, 0);
  }

  verified(application: string, msisdn: string): void {
    this.add(application, msisdn.startsWith('+') ? msisdn : `+${msisdn.replace(/\D/g, '')}`, 1);
  }

  private add(application: string, destination: string, which: 0 | 1): void {
    const settings = this.settings.get(application);
    if (!settings || settings.breaker.testNumbers.includes(destination)) return;
    const prefix = destinationPrefix(destination, settings.breaker.prefixDigits);
    if (!prefix) return;
    const byPrefix = this.counts.get(application) ?? new Map<string, [number, number]>();
    this.counts.set(application, byPrefix);
    const cell = byPrefix.get(prefix) ?? [0, 0];
    cell[which] += 1;
    byPrefix.set(prefix, cell);
    this.schedule();
  }

  /** Feeds at once when the last feed is `intervalMs` old, else when it will be. */
  private schedule(): void {
    if (this.timer || !this.client || this.counts.size === 0) return;
    const delay = Math.max(0, this.lastFeedAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
    this.timer.unref();
  }

  /** Signals every pending delta now (one signal per application). */
  async flush(): Promise<void> {
    if (this.feeding) await this.feeding;
    const client = this.client;
    if (!client || this.counts.size === 0) return;
    const batch = this.counts;
    this.counts = new Map();
    this.lastFeedAt = Date.now();
    this.feeding = Promise.all([...batch].map(([app, byPrefix]) => this.feed(client, app, byPrefix))).then(
      () => undefined,
    );
    await this.feeding;
    this.feeding = undefined;
    this.schedule();
  }

  private async feed(
    client: Client,
    application: string,
    byPrefix: Map<string, [number, number]>,
  ): Promise<void> {
    const settings = this.settings.get(application) as GuardSettings;
    const counts: PrefixCounts[] = [...byPrefix].map(([prefix, [sends, verified]]) => ({
      prefix,
      sends,
      verified,
    }));
    const input: GuardInput = { application, settings };
    try {
      await client.workflow.signalWithStart(GUARD_WORKFLOW_TYPE, {
        workflowId: guardWorkflowId(application),
        taskQueue: this.options.taskQueue,
        args: [input],
        signal: guardFeedSignal,
        signalArgs: [{ reporter: this.reporter, settings, counts }],
        staticSummary: `otpflow abuse guard of ${application}`,
      });
      this.feeds += 1;
    } catch (err) {
      this.options.onError?.(application, err);
      // Kept for the next feed: merged into whatever arrived meanwhile.
      const current = this.counts.get(application) ?? new Map<string, [number, number]>();
      for (const [prefix, [s, v]] of byPrefix) {
        const cell = current.get(prefix) ?? [0, 0];
        current.set(prefix, [cell[0] + s, cell[1] + v]);
      }
      this.counts.set(application, current);
    }
  }

  /** Stops the timer and delivers what is left. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => undefined);
    this.client = undefined;
  }
}
