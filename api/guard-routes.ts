/**
 * `/v1/guard`: the abuse guard for operators, with an admin API key (`admin:<key>` in
 * `OTPFLOW_API_KEYS`): read an application's guard, block a prefix, lift a block. Blocks record
 * who asked — the `operator` given and the key's label, never the key.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OtpClient } from '../client/otp-client';
import { problem, sendProblem } from './problems';
import { blockBody, bodyErrors, commonErrors, guardQuery, problemResponse, unblockBody } from './schemas';

interface Operator {
  application?: string;
  prefix: string;
  reason?: string;
  operator?: string;
}

const onlyAdmins = async (req: FastifyRequest, reply: FastifyReply) => {
  if (!req.caller?.admin) {
    return sendProblem(
      reply,
      problem('forbidden', 'The guard needs an admin API key (admin:<key> in OTPFLOW_API_KEYS).'),
    );
  }
};

const by = (req: FastifyRequest, operator: string | undefined) =>
  `${operator ?? 'api'} (${req.caller?.label ?? 'unknown key'})`;

const errors = { 403: problemResponse('Not an admin API key (forbidden).'), ...commonErrors };
const withBody = { ...errors, ...bodyErrors };

/** Registers the guard routes on the `/v1` scope (whose hook authenticated the caller). */
export function registerGuardRoutes(v1: FastifyInstance, security: { bearerAuth: never[] }[]): void {
  const otpOf = (req: FastifyRequest) => req.otp as OtpClient;

  v1.get<{ Querystring: { application?: string } }>(
    '/guard',
    {
      preHandler: onlyAdmins,
      schema: {
        summary: "Read an application's abuse guard",
        description:
          'Blocked prefixes (why and until when), prefixes over their velocity limit, the busiest prefixes.',
        querystring: guardQuery,
        security,
        response: { 200: { $ref: 'GuardView#' }, ...errors },
      },
    },
    async (req) => otpOf(req).guard.status(req.query.application),
  );

  v1.post<{ Body: Operator & { seconds?: number; reason: string } }>(
    '/guard/block',
    {
      preHandler: onlyAdmins,
      schema: {
        summary: 'Block a destination prefix',
        description:
          'Starts to numbers under the prefix are refused (429 rate-limited, PREFIX_BLOCKED) until it lifts.',
        body: blockBody,
        security,
        response: { 200: { $ref: 'PrefixBlock#' }, ...withBody },
      },
    },
    async (req) => {
      const { application, prefix, seconds, reason, operator } = req.body;
      return otpOf(req).guard.block(application, { prefix, seconds, reason, by: by(req, operator) });
    },
  );

  v1.post<{ Body: Operator }>(
    '/guard/unblock',
    {
      preHandler: onlyAdmins,
      schema: {
        summary: 'Lift the block of a destination prefix',
        body: unblockBody,
        security,
        response: {
          200: { $ref: 'PrefixBlock#' },
          404: problemResponse('The prefix was not blocked (not-found).'),
          ...withBody,
        },
      },
    },
    async (req, reply) => {
      const { application, prefix, reason, operator } = req.body;
      const lifted = await otpOf(req).guard.unblock(application, { prefix, reason, by: by(req, operator) });
      if (!lifted) return sendProblem(reply, problem('not-found', `No block of ${prefix}.`));
      return lifted;
    },
  );
}
