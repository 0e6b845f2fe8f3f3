/**
 * otpflow's activity-side metrics and logs, recorded by an activity interceptor through the
 * Runtime's meter, so they appear on the same Prometheus endpoint as Temporal's own. The
 * workflow counts starts, outcomes and sends itself (once per real event, never on replay);
 * here: how long a code check takes and how Infobip calls fail.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  Next,
} from '@temporalio/worker';
import type { Logger } from 'pino';

/**
 * Metric names otpflow's worker records here; the workflow records `otpflow_verifications_started`,
 * `otpflow_verification_outcomes`, `otpflow_pins_sent` and, from delivery reports,
 * `otpflow_delivery_reports{status,channel,country}`, `otpflow_delivery_latency` (ms) and
 * `otpflow_time_to_first_delivered` (ms).
 */
export const METRIC_NAMES = {
  checkLatency: 'otpflow_check_latency',
  activityFailures: 'otpflow_activity_failures',
} as const;

/** Activity interceptor factory: check latency histogram, failure counter, one log line per execution. */
export function otpActivityInterceptors(logger: Logger): ActivityInterceptorsFactory {
  return (ctx: Context) => ({ inbound: new MetricsInterceptor(ctx, logger) });
}

class MetricsInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly logger: Logger,
  ) {}

  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const { activityType, attempt, isLocal, workflowExecution } = this.ctx.info;
    const started = performance.now();
    const log = this.logger.child({
      activity: activityType,
      attempt,
      local: isLocal,
      workflowId: workflowExecution?.workflowId,
    });
    try {
      const result = await next(input);
      const ms = performance.now() - started;
      if (activityType === 'verifyPin') {
        const verified = (result as { verified?: boolean } | undefined)?.verified === true;
        this.ctx.metricMeter
          .createHistogram(METRIC_NAMES.checkLatency, 'int', 'ms', 'Time to check a code with Infobip')
          .record(Math.round(ms), { outcome: verified ? 'VERIFIED' : 'REJECTED' });
      }
      // Only the outcome's shape is logged: results can carry destinations, never codes.
      log.info({ durationMs: Math.round(ms), outcome: summarise(result) }, 'activity completed');
      return result;
    } catch (err) {
      const type =
        err instanceof ApplicationFailure
          ? (err.type ?? 'ApplicationFailure')
          : ((err as Error).name ?? 'Error');
      this.ctx.metricMeter
        .createCounter(
          METRIC_NAMES.activityFailures,
          'failures',
          'Activity attempts that failed, by activity and type',
        )
        .add(1, { activity: activityType, type });
      if (activityType === 'verifyPin') {
        this.ctx.metricMeter
          .createHistogram(METRIC_NAMES.checkLatency, 'int', 'ms', 'Time to check a code with Infobip')
          .record(Math.round(performance.now() - started), { outcome: 'ERROR' });
      }
      log.warn({ durationMs: Math.round(performance.now() - started), err }, 'activity failed');
      throw err;
    }
  }
}

function summarise(result: unknown): Record<string, unknown> | undefined {
  if (!result || typeof result !== 'object') return undefined;
  const r = result as Record<string, unknown>;
  const keep = [
    'outcome',
    'infobipStatus',
    'delivered',
    'verified',
    'attemptsRemaining',
    'pinError',
    'recovered',
    'httpStatus',
  ];
  return Object.fromEntries(keep.filter((k) => k in r).map((k) => [k, r[k]]));
}
