/**
 * The delivery-report ingress, `POST /v1/delivery-reports`: where Infobip's Subscriptions push
 * the delivery reports of tracked sends. It authenticates the push (HTTP Basic, the
 * subscription's BASIC security setting), parses it tolerantly, and signals each report to
 * the verification it belongs to. Temporal is the only datastore.
 *
 * Finding the flow. A report carries no pinId and no 2FA application, only `messageId` and
 * `to`. The flow's ID is derived from `to`: its keyed hash gives `otp-<application>-<hash>` for
 * each declared application, and the report is signalled to each (one RPC per application;
 * a flow ignores a `messageId` it did not send). Only when none of those IDs is running does
 * the ingress look for flows with caller-chosen IDs, through the `OtpDestinationHash` search
 * attribute every flow already has (one visibility query). No per-flow state is added for
 * this: no search attribute, no table. Cost per report: one signal RPC per application (and
 * one history event and workflow task in the flow it reaches); a visibility query only for
 * reports no derived ID took (caller-chosen IDs, flows already closed).
 *
 * Answers: 200 once every report was signalled or found no running flow (those are counted,
 * `otpflow_delivery_reports_received{outcome="unmatched"}`, and never retried); 503 when
 * Temporal did not take a signal, so Infobip pushes again (the flow ignores the copies it
 * already has); 400 for a body that is not a report (nothing signalled); 401 without the
 * right credentials.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { hashDestination, verificationId } from '../client/identity';
import { createKeyMatcher } from '../config/api-keys';
import type { OtpflowConfig } from '../config/types';
import { OTP_DESTINATION_HASH } from '../domain/constants';
import { isE164 } from '../domain/destination';
import { deliveryReportSignal } from '../domain/messages';
import type { DeliveryReportInput } from '../domain/types';
import { parseDeliveryReports, type DeliveryReport } from '../infobip/delivery-reports';
import { InfobipReportError } from '../infobip/errors';
import type { ApiMetrics } from './metrics';
import { problem, type Problem } from './problems';
import { bodyErrors, problemResponse, sharedSchemas } from './schemas';

/** Path of the ingress. */
export const DELIVERY_REPORTS_PATH = '/v1/delivery-reports';

/** Options of the ingress. */
export interface DeliveryReportIngressOptions {
  /** Temporal client (namespace and data converter as the workers use them). */
  client: Client;
  /** Names of the declared applications (their derived IDs are signalled). */
  applications: readonly string[];
  /** The deployment's destination-hash key (`OTPFLOW_DESTINATION_HASH_KEY`). */
  destinationHashKey: Buffer;
  /** Accepted Basic credentials; none: every push is refused (401). */
  credentials: readonly { username: string; password: string }[];
  /** Largest body in bytes. @default 1048576 */
  bodyLimit?: number;
  /** Deadline of each signal and query RPC, ms. @default 5000 */
  rpcTimeoutMs?: number;
}

/** The ingress options of a loaded configuration (the API process and `otpflow dev`). */
export function deliveryReportOptions(config: OtpflowConfig, client: Client): DeliveryReportIngressOptions {
  return {
    client,
    applications: config.applications.map((a) => a.name),
    destinationHashKey: config.destinationHashKey,
    credentials: config.api.deliveryReportCredentials ?? [],
  };
}

/** What became of one report. */
export type ReportOutcome = 'signalled' | 'unmatched' | 'malformed';

/** The workflow type whose flows take reports. */
const WORKFLOW_TYPE = 'verificationWorkflow';

const REALM = 'Basic realm="otpflow delivery reports", charset="UTF-8"';

/**
 * Infobip's report body as the OpenAPI document shows it. Documentation only: the route does not
 * validate against it (the tolerant parser does, skipping a malformed entry among good ones).
 */
const REPORT_BODY = {
  type: 'object',
  description:
    "Infobip's delivery-report body (SMS and voice). Unknown fields are ignored; a malformed entry among good ones is skipped and counted.",
  properties: {
    results: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          messageId: { type: 'string', description: "The send's externalMessageId." },
          to: { type: 'string', description: 'The destination, digits with or without +.' },
          sentAt: { type: 'string', description: "Infobip's time, e.g. 2026-11-09T16:00:00.000+0000." },
          doneAt: { type: 'string' },
          status: {
            type: 'object',
            properties: {
              groupId: {
                type: 'integer',
                description: '1 PENDING, 2 UNDELIVERABLE, 3 DELIVERED, 4 EXPIRED, 5 REJECTED',
              },
              groupName: { type: 'string' },
              id: { type: 'integer' },
              name: { type: 'string' },
              description: { type: 'string' },
            },
          },
          error: {
            type: 'object',
            properties: {
              groupId: { type: 'integer' },
              id: { type: 'integer' },
              name: { type: 'string' },
              permanent: { type: 'boolean' },
            },
          },
        },
        required: ['messageId', 'to', 'status'],
      },
    },
  },
  required: ['results'],
} as const;

/** `username:password` of an `Authorization: Basic …` header, or undefined. */
export function basicCredentials(header: string | undefined): string | undefined {
  const token = /^Basic[ ]+([A-Za-z0-9+/=]+)$/i.exec(header ?? '')?.[1];
  if (!token) return undefined;
  const text = Buffer.from(token, 'base64').toString('utf8');
  return text.includes(':') ? text : undefined;
}

/** The signal's payload: the report without its destination, times as ISO 8601. */
export function reportSignal(r: DeliveryReport): DeliveryReportInput {
  const errorName =
    r.error?.name && r.error.id !== 0 && r.error.name !== 'NO_ERROR' ? r.error.name : undefined;
  return {
    messageId: r.messageId,
    status: r.group,
    ...(r.status.name ? { statusName: r.status.name } : {}),
    ...(errorName ? { errorName } : {}),
    ...(r.error ? { permanent: r.permanent } : {}),
    ...(r.sentAtMs !== undefined ? { sentAt: new Date(r.sentAtMs).toISOString() } : {}),
    ...(r.doneAtMs !== undefined ? { doneAt: new Date(r.doneAtMs).toISOString() } : {}),
  };
}

/** The E.164 form of a report's `to` (digits, with or without a plus), or undefined (e-mail, garbage). */
export function reportDestination(to: string): string | undefined {
  const e164 = `+${to.trim().replace(/^\+/, '')}`;
  return isE164(e164) ? e164 : undefined;
}

/** Signals reports to their flows (see the module comment). */
export class DeliveryReportRouter {
  constructor(private readonly options: DeliveryReportIngressOptions) {}

  /** Delivers one report; throws when Temporal did not take a signal (the push must be retried). */
  async route(report: DeliveryReport): Promise<ReportOutcome> {
    const destination = reportDestination(report.to);
    if (!destination) return 'malformed';
    const hash = hashDestination(destination, this.options.destinationHashKey);
    const payload = reportSignal(report);
    const derived = this.options.applications.map((app) => verificationId(app, hash));
    const taken = await Promise.all(derived.map((id) => this.signal(id, payload)));
    if (taken.some(Boolean)) return 'signalled';
    const others = (await this.runningByHash(hash)).filter((id) => !derived.includes(id));
    const more = await Promise.all(others.map((id) => this.signal(id, payload)));
    return more.some(Boolean) ? 'signalled' : 'unmatched';
  }

  /** True when flow `id` took the signal; false when no such flow is running. */
  private async signal(id: string, payload: DeliveryReportInput): Promise<boolean> {
    const { client } = this.options;
    try {
      await client.withDeadline(this.deadline(), () =>
        client.workflow.getHandle(id).signal(deliveryReportSignal, payload),
      );
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Running verifications of a destination hash (caller-chosen IDs), through visibility. */
  private async runningByHash(hash: string): Promise<string[]> {
    const { client } = this.options;
    const query = `${OTP_DESTINATION_HASH.name} = "${hash}" AND WorkflowType = "${WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`;
    const ids: string[] = [];
    await client.withDeadline(this.deadline(), async () => {
      for await (const info of client.workflow.list({ query, pageSize: 20 })) {
        ids.push(info.workflowId);
        if (ids.length >= 20) break;
      }
    });
    return ids;
  }

  private deadline(): number {
    return Date.now() + (this.options.rpcTimeoutMs ?? 5000);
  }
}

function refuse(reply: FastifyReply, body: Problem): FastifyReply {
  if (body.status === 401) reply.header('www-authenticate', REALM);
  return reply.code(body.status).type('application/problem+json').send(body);
}

/** Parses every entry on its own, so one malformed entry does not lose the others. */
function parseEntries(body: unknown): { reports: DeliveryReport[]; malformed: string[] } {
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) parseDeliveryReports(body); // throws, naming what is wrong
  const reports: DeliveryReport[] = [];
  const malformed: string[] = [];
  (results as unknown[]).forEach((entry, i) => {
    try {
      reports.push(...parseDeliveryReports({ results: [entry] }));
    } catch (err) {
      malformed.push(
        err instanceof InfobipReportError ? err.message.replace('results[0]', `results[${i}]`) : String(err),
      );
    }
  });
  return { reports, malformed };
}

/**
 * Registers `POST /v1/delivery-reports` on `app` (outside the bearer-key scope: Infobip
 * authenticates with Basic) and its counters on `metrics`.
 */
export function registerDeliveryReports(
  app: FastifyInstance,
  options: DeliveryReportIngressOptions,
  metrics: ApiMetrics,
): void {
  const router = new DeliveryReportRouter(options);
  const matchCredential = createKeyMatcher(
    options.credentials.map((c) => ({ key: `${c.username}:${c.password}`, value: true })),
  );
  const requests = metrics.counter(
    'otpflow_delivery_report_requests',
    'Delivery-report pushes received, by answer (accepted, unauthenticated, malformed, unavailable)',
  );
  const received = metrics.counter(
    'otpflow_delivery_reports_received',
    'Delivery reports in accepted pushes, by outcome (signalled to a running verification, unmatched, malformed)',
  );
  const answer = (result: string, reply: FastifyReply, body: Problem) => {
    requests.inc({ result });
    return refuse(reply, body);
  };

  app.post(
    DELIVERY_REPORTS_PATH,
    {
      bodyLimit: options.bodyLimit ?? 1024 * 1024,
      schema: {
        summary: "Infobip's delivery-report push (Subscriptions webhook)",
        description:
          'Authenticated with HTTP Basic (the credentials of OTPFLOW_DELIVERY_REPORT_CREDENTIALS, set as the subscription\'s BASIC security). Body: Infobip\'s report body {"results":[…]}. 200 once every report reached its verification or found none running (counted, not retried); 503 when Temporal did not take it, so Infobip pushes again.',
        security: [{ basicAuth: [] }],
        body: REPORT_BODY,
        response: {
          200: {
            description: 'Every report reached its verification, or found none running (counted).',
            type: 'object',
            properties: {
              received: { type: 'integer', minimum: 0 },
              signalled: { type: 'integer', minimum: 0 },
              unmatched: { type: 'integer', minimum: 0 },
              malformed: { type: 'integer', minimum: 0 },
            },
            required: ['received', 'signalled', 'unmatched', 'malformed'],
          },
          400: problemResponse(
            'Not a delivery-report body (problem type invalid-input; `detail` names the place).',
          ),
          401: {
            ...problemResponse('Missing or wrong delivery-report credentials.'),
            headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
          },
          ...bodyErrors,
          503: problemResponse('Temporal did not take the report: push it again.'),
        },
      },
      // The body schema documents; the tolerant parser below decides (400 naming the place).
      validatorCompiler: () => () => true,
      // Authentication first: an unauthenticated push learns nothing about the body's checks.
      onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
        const presented = basicCredentials(req.headers.authorization);
        if (options.credentials.length === 0 || presented === undefined || !matchCredential(presented))
          return answer(
            'unauthenticated',
            reply,
            problem('unauthorized', 'Send Authorization: Basic with the delivery-report credentials.'),
          );
      },
    },
    async (req, reply) => {
      let parsed: { reports: DeliveryReport[]; malformed: string[] };
      try {
        parsed = parseEntries(req.body);
      } catch (err) {
        const detail =
          err instanceof InfobipReportError ? err.message : 'body: is not a delivery-report body';
        return answer('malformed', reply, problem('invalid-input', detail, { field: 'body' }));
      }
      const { reports, malformed } = parsed;
      if (reports.length === 0)
        return answer(
          'malformed',
          reply,
          problem('invalid-input', malformed[0] ?? 'results: holds no report', { field: 'body' }),
        );
      if (malformed.length > 0) req.log.warn({ malformed }, 'delivery reports skipped');
      let outcomes: ReportOutcome[];
      try {
        outcomes = await Promise.all(reports.map((r) => router.route(r)));
      } catch (err) {
        req.log.warn({ err }, 'delivery report not taken by Temporal; Infobip will push it again');
        return answer(
          'unavailable',
          reply,
          problem('temporal-unavailable', 'Temporal did not take the report; push it again.'),
        );
      }
      const count = (o: ReportOutcome) => outcomes.filter((x) => x === o).length;
      const summary = {
        received: reports.length + malformed.length,
        signalled: count('signalled'),
        unmatched: count('unmatched'),
        malformed: malformed.length + count('malformed'),
      };
      for (const outcome of ['signalled', 'unmatched', 'malformed'] as const)
        if (summary[outcome] > 0) received.inc({ outcome }, summary[outcome]);
      requests.inc({ result: 'accepted' });
      return reply.code(200).send(summary);
    },
  );
}

/**
 * The ingress alone, without the rest of the API (not yet listening): for a process of its own
 * in front of Infobip, and for the bench.
 */
export function createDeliveryReportServer(
  options: DeliveryReportIngressOptions,
  metrics: ApiMetrics,
): FastifyInstance {
  const app = Fastify({ logger: false }) as unknown as FastifyInstance;
  for (const schema of sharedSchemas) app.addSchema(schema as unknown as Record<string, unknown>);
  registerDeliveryReports(app, options, metrics);
  return app;
}
