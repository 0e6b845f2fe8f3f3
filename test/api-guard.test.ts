/**
 * The abuse guard over HTTP against a real worker on the shared dev server (stub activities):
 * the admin-only `/v1/guard` routes, blocks refusing starts with 429 and Retry-After, the
 * per-destination and per-context velocity limits (visibility counts; contexts stored only as
 * keyed hashes), and the per-key rate limit.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, keyLabel } from '../api/server';
import { GuardWatcher } from '../client/guard';
import { hashDestination } from '../client/identity';
import { OtpClient } from '../client/otp-client';
import { OTP_CONTEXT } from '../domain/constants';
import { randomPhone, stubActivities, testApplication } from './kits/client';
import { connectTestEnv, startWorker, type RunningWorker } from './harness/temporal';
import { waitFor } from './chaos/support';

const KEY = 'guard-user-key-0123456789';
const ADMIN = 'guard-admin-key-0123456789';
const LIMITED = 'guard-limited-key-0123456789';
const OTHER = 'guard-other-key-0123456789';
const HASH_KEY = Buffer.alloc(32, 3);
const login = testApplication('gl-login');
const counted = testApplication(
  'gl-counted',
  {},
  {
    guard: {
      velocity: {
        perDestination: { max: 2, windowSeconds: 600 },
        perClientIp: { max: 2, windowSeconds: 600 },
        perSession: { max: 3, windowSeconds: 600 },
      },
    },
  },
);
let env: TestWorkflowEnvironment;
let worker: RunningWorker;
let watcher: GuardWatcher;
let api: FastifyInstance;
let limitedApi: FastifyInstance;
let base: string;
let limitedBase: string;

beforeAll(async () => {
  env = await connectTestEnv();
  worker = await startWorker(env, { activities: stubActivities().activities });
  watcher = new GuardWatcher(env.client, { pollMs: 200 });
  watcher.watch([login.name]);
  const otp = new OtpClient({
    client: env.client,
    applications: [login, counted],
    destinationHashKey: HASH_KEY,
    taskQueue: worker.taskQueue,
    guard: watcher,
  });
  api = createApiServer({ otp, apiKeys: [KEY, { key: ADMIN, admin: true }] });
  base = await api.listen({ port: 0, host: '127.0.0.1' });
  limitedApi = createApiServer({ otp, apiKeys: [LIMITED, OTHER], rateLimit: { perSecond: 1, burst: 3 } });
  limitedBase = await limitedApi.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  watcher?.close();
  await api?.close();
  await limitedApi?.close();
  await worker?.shutdown();
  await env?.teardown();
});

async function call(method: string, path: string, body?: unknown, key = KEY, at = base) {
  const res = await fetch(at + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** Waits until the visibility store counts `n` verifications for `clause`. */
async function counted_(clause: string, n: number): Promise<void> {
  await waitFor(async () => {
    const { count } = await env.client.workflow.count(`OtpApplication="${counted.name}" AND ${clause}`);
    return count >= n ? true : undefined;
  }, `${n} verifications for ${clause}`);
}

describe('/v1/guard', () => {
  it('is for admin keys only', async () => {
    for (const [method, path, body] of [
      ['GET', '/v1/guard', undefined],
      ['POST', '/v1/guard/block', { prefix: '+41', reason: 'x' }],
      ['POST', '/v1/guard/unblock', { prefix: '+41' }],
    ] as const) {
      const res = await call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toMatchObject({ type: 'https://otpflow.dev/problems/forbidden' });
    }
  });

  it('blocks a prefix (recording who), refuses starts to it with 429 and Retry-After, and unblocks it', async () => {
    const empty = await call('GET', `/v1/guard?application=${login.name}`, undefined, ADMIN);
    expect(empty).toMatchObject({ status: 200, body: { application: login.name, blocks: [] } });

    const blocked = await call(
      'POST',
      '/v1/guard/block',
      {
        application: login.name,
        prefix: '4179',
        seconds: 300,
        reason: 'pumping seen by support',
        operator: 'carol',
      },
      ADMIN,
    );
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ prefix: '+4179', rule: 'MANUAL', by: `carol (${keyLabel(ADMIN)})` });
    expect(JSON.stringify(blocked.body)).not.toContain(ADMIN);

    await waitFor(() => (watcher.peek(login.name)?.blocks.length ? true : undefined), 'the watcher');
    const refused = await call('POST', '/v1/verifications', { application: login.name, to: randomPhone() });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      type: 'https://otpflow.dev/problems/rate-limited',
      reason: 'PREFIX_BLOCKED',
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(250);

    const view = await call('GET', `/v1/guard?application=${login.name}`, undefined, ADMIN);
    expect((view.body.blocks as unknown[])[0]).toMatchObject({
      prefix: '+4179',
      reason: 'pumping seen by support',
    });

    const lifted = await call(
      'POST',
      '/v1/guard/unblock',
      { application: login.name, prefix: '+4179' },
      ADMIN,
    );
    expect(lifted).toMatchObject({ status: 200, body: { prefix: '+4179' } });
    const again = await call(
      'POST',
      '/v1/guard/unblock',
      { application: login.name, prefix: '+4179' },
      ADMIN,
    );
    expect(again).toMatchObject({ status: 404, body: { type: 'https://otpflow.dev/problems/not-found' } });
    await waitFor(() => (watcher.peek(login.name)?.blocks.length === 0 ? true : undefined), 'the watcher');
    expect(
      (await call('POST', '/v1/verifications', { application: login.name, to: randomPhone() })).status,
    ).toBe(201);
  });

  it('answers bad guard requests with invalid-input naming the field', async () => {
    const bad = await call('POST', '/v1/guard/block', { prefix: 'plus-four', reason: 'x' }, ADMIN);
    expect(bad).toMatchObject({ status: 400, body: { field: 'prefix' } });
    const noReason = await call('POST', '/v1/guard/block', { prefix: '+44' }, ADMIN);
    expect(noReason).toMatchObject({ status: 400, body: { field: 'reason' } });
    const app = await call('GET', '/v1/guard?application=nope', undefined, ADMIN);
    expect(app).toMatchObject({ status: 400, body: { field: 'application' } });
  });
});

describe('velocity limits', () => {
  it('refuses a third verification of one destination within the window (DESTINATION_VELOCITY)', async () => {
    const to = randomPhone();
    for (let i = 0; i < 2; i++) {
      const started = await call('POST', '/v1/verifications', { application: counted.name, to });
      expect(started.status).toBe(201);
      await call('POST', `/v1/verifications/${started.body.id as string}/cancel`);
      await waitFor(async () => {
        const v = await call('GET', `/v1/verifications/${started.body.id as string}`);
        return v.body.status === 'CANCELLED' && v.body.closedAt ? true : undefined;
      }, 'the cancelled flow to close');
    }
    await counted_(`OtpDestinationHash="${hashDestination(to, HASH_KEY)}"`, 2);
    const refused = await call('POST', '/v1/verifications', { application: counted.name, to });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ reason: 'DESTINATION_VELOCITY' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(500);
  });

  it('limits starts per client IP, storing only a keyed hash of it (CLIENT_IP_VELOCITY)', async () => {
    const clientIp = '203.0.113.77';
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const started = await call('POST', '/v1/verifications', {
        application: counted.name,
        to: randomPhone(),
        clientIp,
      });
      expect(started.status).toBe(201);
      ids.push(started.body.id as string);
    }
    const { typedSearchAttributes } = await env.client.workflow.getHandle(ids[0]!).describe();
    const contexts = typedSearchAttributes.get(OTP_CONTEXT) ?? [];
    expect(contexts).toEqual([expect.stringMatching(/^ip:[0-9a-f]{32}$/)]);
    await counted_(`OtpContext="${contexts[0]}"`, 2);
    const refused = await call('POST', '/v1/verifications', {
      application: counted.name,
      to: randomPhone(),
      clientIp,
    });
    expect(refused).toMatchObject({ status: 429, body: { reason: 'CLIENT_IP_VELOCITY' } });
    const other = await call('POST', '/v1/verifications', {
      application: counted.name,
      to: randomPhone(),
      clientIp: '203.0.113.78',
    });
    expect(other.status).toBe(201);
    const raw = JSON.stringify(
      await env.client.workflowService.describeWorkflowExecution({
        namespace: env.namespace ?? 'default',
        execution: { workflowId: ids[0] },
      }),
    );
    expect(raw).not.toContain(clientIp);
  });

  it('refuses a malformed clientIp or sessionId before anything starts', async () => {
    const ip = await call('POST', '/v1/verifications', {
      application: counted.name,
      to: randomPhone(),
      clientIp: 'localhost',
    });
    expect(ip).toMatchObject({ status: 400, body: { field: 'clientIp' } });
    const session = await call('POST', '/v1/verifications', {
      application: counted.name,
      to: randomPhone(),
      sessionId: 'a b',
    });
    expect(session).toMatchObject({ status: 400, body: { field: 'sessionId' } });
  });
});

describe('per-key rate limit', () => {
  it('answers 429 API_KEY with Retry-After once a key used its burst, other keys unaffected', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await call('GET', '/v1/verifications/otp-none', undefined, LIMITED, limitedBase));
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 429]);
    expect(answers[3]!.body).toMatchObject({
      type: 'https://otpflow.dev/problems/rate-limited',
      reason: 'API_KEY',
    });
    expect(answers[3]!.headers.get('retry-after')).toBe('1');
    expect((await call('GET', '/v1/verifications/otp-none', undefined, OTHER, limitedBase)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call('GET', '/v1/verifications/otp-none', undefined, LIMITED, limitedBase)).status).toBe(
      404,
    );
  });
});
