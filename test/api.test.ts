/**
 * The HTTP API over real HTTP against a real worker on the shared dev server (stub
 * activities): statuses, problems, auth, limits, tenancy and the OpenAPI document.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../api/server';
import { checkBody, startBody } from '../api/schemas';
import { hashDestination, verificationId } from '../client/identity';
import { OtpClient } from '../client/otp-client';
import {
  randomPhone,
  STUB_CODE,
  STUB_UNAVAILABLE_CODE,
  stubActivities,
  testApplication,
} from './kits/client';
import { connectOtp } from '../client/connect';
import type { OtpflowConfig } from '../config/types';
import { connectTestEnv, startWorker, type RunningWorker } from './harness/temporal';

const KEY = 'test-key-0123456789abcdef';
const HASH_KEY = Buffer.alloc(32, 7);
const TENANT_KEY = 'tenant-key-0123456789abcdef';
let env: TestWorkflowEnvironment;
let worker: RunningWorker;
let app: FastifyInstance;
let base: string;
let ready = true;

beforeAll(async () => {
  env = await connectTestEnv();
  worker = await startWorker(env, { activities: stubActivities().activities });
  const otp = new OtpClient({
    client: env.client,
    applications: [
      testApplication('login'),
      testApplication('short', { ttlSeconds: 1 }),
      testApplication('other'),
    ],
    destinationHashKey: HASH_KEY,
    taskQueue: worker.taskQueue,
  });
  app = createApiServer({
    otp,
    apiKeys: [KEY, { key: TENANT_KEY, applications: ['other'] }],
    ready: async () => ready,
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await worker?.shutdown();
  await env?.teardown();
});

async function call(method: string, path: string, body?: unknown, key: string | null = KEY) {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
const problemType = (name: string) => `https://otpflow.dev/problems/${name}`;

describe('HTTP API', () => {
  it('starts (201), attaches (200), checks a wrong then the right code, then answers 409 VERIFIED', async () => {
    const to = randomPhone();
    const first = await call('POST', '/v1/verifications', { to, application: 'login' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      status: 'PENDING',
      channel: 'SMS',
      created: true,
      destination: `${to.slice(0, 3)}•••••${to.slice(-4)}`,
    });
    expect(first.headers.get('location')).toBe(`/v1/verifications/${first.body.id}`);
    const again = await call('POST', '/v1/verifications', { to, application: 'login' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, created: false });

    const id = first.body.id as string;
    const wrong = await call('POST', `/v1/verifications/${id}/check`, { code: '000000' });
    expect(wrong).toMatchObject({
      status: 200,
      body: { status: 'PENDING', verified: false, attemptsRemaining: 2 },
    });
    const right = await call('POST', `/v1/verifications/${id}/check`, { code: STUB_CODE });
    expect(right).toMatchObject({ status: 200, body: { status: 'VERIFIED', verified: true } });
    await env.client.workflow.getHandle(id).result();
    const late = await call('POST', `/v1/verifications/${id}/check`, { code: STUB_CODE });
    expect(late.status).toBe(409);
    expect(late.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(late.body).toMatchObject({
      type: problemType('already-finished'),
      status: 409,
      verificationStatus: 'VERIFIED',
    });
    const view = await call('GET', `/v1/verifications/${id}`);
    expect(view.body).toMatchObject({ id, status: 'VERIFIED', application: 'login' });
    expect(JSON.stringify(view.body)).not.toContain(to.slice(1));
  });

  it('answers EXPIRED as 409 with the status after the TTL, and cancel as CANCELLED', async () => {
    const short = await call('POST', '/v1/verifications', { to: randomPhone(), application: 'short' });
    await env.client.workflow.getHandle(short.body.id).result();
    const late = await call('POST', `/v1/verifications/${short.body.id}/check`, { code: STUB_CODE });
    expect(late.body).toMatchObject({ status: 409, verificationStatus: 'EXPIRED' });

    const started = await call('POST', '/v1/verifications', { to: randomPhone(), application: 'login' });
    const cancelled = await call('POST', `/v1/verifications/${started.body.id}/cancel`);
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'CANCELLED' } });
  });

  it('refuses a resend during the cooldown with 429 and Retry-After', async () => {
    const { body } = await call('POST', '/v1/verifications', { to: randomPhone(), application: 'login' });
    const res = await call('POST', `/v1/verifications/${body.id}/resend`, '', KEY);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(20);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(res.body).toMatchObject({
      type: problemType('rate-limited'),
      reason: 'COOLDOWN',
      retryAfterSeconds: retryAfter,
    });
  });

  it('rejects malformed codes with 400 naming the field, writing no history', async () => {
    const { body } = await call('POST', '/v1/verifications', { to: randomPhone(), application: 'login' });
    const handle = env.client.workflow.getHandle(body.id);
    const before = (await handle.fetchHistory()).events?.length;
    for (const payload of [
      { code: '12' },
      { code: 'abcdef' },
      { code: 123456 },
      {},
      { code: '123456', extra: 1 },
    ]) {
      const res = await call('POST', `/v1/verifications/${body.id}/check`, payload);
      expect(res.status, JSON.stringify(payload)).toBe(400);
      expect(res.body).toMatchObject({ type: problemType('invalid-input') });
      expect(res.body.field).toBe(payload.extra ? 'extra' : 'code');
    }
    expect((await handle.fetchHistory()).events?.length).toBe(before);
  });

  it('rejects bad start input with 400 naming the field and starts nothing', async () => {
    const [phone1, phone2] = [randomPhone(), randomPhone()];
    const cases: [unknown, string][] = [
      [{ to: '+4112', application: 'login' }, 'to'],
      [{ to: '0791234567', application: 'login' }, 'to'],
      [{ to: phone1, application: 'nope' }, 'application'],
      [{ to: randomPhone() }, 'application'],
      [{ application: 'login' }, 'to'],
      [{ to: phone2, application: 'login', channel: 'fax' }, 'channel'],
      [{ to: 5, application: 'login' }, 'to'],
      ['{"to": ', 'body'],
    ];
    for (const [payload, field] of cases) {
      const res = await call('POST', '/v1/verifications', payload);
      expect(res.status, JSON.stringify(payload)).toBe(400);
      expect(res.body).toMatchObject({ type: problemType('invalid-input'), status: 400, field });
      expect(res.body.detail).toContain(field);
    }
    for (const id of [
      verificationId('nope', hashDestination(phone1, HASH_KEY)),
      verificationId('login', hashDestination(phone2, HASH_KEY)),
    ]) {
      await expect(env.client.workflow.getHandle(id).describe()).rejects.toThrow(/not found/i);
    }
  });

  it('answers 404 alike for an unknown ID and another tenant’s ID', async () => {
    const mine = await call('POST', '/v1/verifications', { to: randomPhone(), application: 'login' });
    const unknown = await call(
      'GET',
      '/v1/verifications/otp-login-00000000000000000000000000000000',
      undefined,
      TENANT_KEY,
    );
    const foreign = await call('GET', `/v1/verifications/${mine.body.id}`, undefined, TENANT_KEY);
    expect(unknown.status).toBe(404);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(unknown.body);
    const foreignCheck = await call(
      'POST',
      `/v1/verifications/${mine.body.id}/check`,
      { code: STUB_CODE },
      TENANT_KEY,
    );
    expect(foreignCheck.body).toEqual(unknown.body);
    const tenantStart = await call(
      'POST',
      '/v1/verifications',
      { to: randomPhone(), application: 'login' },
      TENANT_KEY,
    );
    expect(tenantStart.body).toMatchObject({ status: 400, field: 'application' });
  });

  it('requires a valid API key, limits the body size and has health endpoints', async () => {
    for (const key of [null, 'wrong-key-0123456789abcdef', `${KEY}x`]) {
      const res = await call('POST', '/v1/verifications', { to: randomPhone(), application: 'login' }, key);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.body).toMatchObject({ type: problemType('unauthorized') });
    }
    const big = await call('POST', '/v1/verifications', {
      to: randomPhone(),
      application: 'login',
      placeholders: { a: 'x'.repeat(20_000) },
    });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ type: problemType('payload-too-large') });
    expect((await call('GET', '/healthz', undefined, null)).status).toBe(200);
    expect((await call('GET', '/readyz', undefined, null)).status).toBe(200);
    ready = false;
    const notReady = await call('GET', '/readyz', undefined, null);
    ready = true;
    expect(notReady).toMatchObject({ status: 503, body: { type: problemType('temporal-unavailable') } });
  });

  it('answers 503 with Retry-After when the code cannot be checked now', async () => {
    const { body } = await call('POST', '/v1/verifications', { to: randomPhone(), application: 'login' });
    const res = await call('POST', `/v1/verifications/${body.id}/check`, { code: STUB_UNAVAILABLE_CODE });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.body).toMatchObject({ type: problemType('check-unavailable') });
  });

  it('answers 503 and is not ready when Temporal is unreachable', async () => {
    const down = await connectOtp(
      {
        applications: [testApplication('login')],
        temporal: { taskQueue: 'none', connect: { connectionOptions: { address: '127.0.0.1:1' } } },
        destinationHashKey: HASH_KEY,
        encryptionKeys: [],
      } as unknown as OtpflowConfig,
      { lazy: true },
    );
    const server = createApiServer({ otp: down.otp, apiKeys: [KEY], ready: () => down.ping(500) });
    try {
      const res = await server.inject({
        method: 'GET',
        url: '/v1/verifications/otp-login-x',
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ type: problemType('temporal-unavailable') });
      expect((await server.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
      expect((await server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await server.close();
      await down.close();
    }
  });

  it('serves an OpenAPI document built from the schemas it validates with', async () => {
    const { status, body: doc } = await call('GET', '/openapi.json', undefined, null);
    expect(status).toBe(200);
    expect(doc.openapi).toMatch(/^3\.0\./);
    const paths = Object.keys(doc.paths).sort();
    expect(paths).toEqual([
      '/v1/verifications',
      '/v1/verifications/{id}',
      '/v1/verifications/{id}/cancel',
      '/v1/verifications/{id}/check',
      '/v1/verifications/{id}/resend',
    ]);
    const start = doc.paths['/v1/verifications'].post;
    expect(start.requestBody.content['application/json'].schema).toMatchObject(
      JSON.parse(JSON.stringify(startBody)),
    );
    expect(
      doc.paths['/v1/verifications/{id}/check'].post.requestBody.content['application/json'].schema,
    ).toMatchObject(JSON.parse(JSON.stringify(checkBody)));
    expect(start.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    // Every $ref resolves, and every schema compiles.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref as string);
    const ajv = addFormats(new Ajv({ strict: false }));
    for (const [name, schema] of Object.entries(doc.components.schemas))
      ajv.addSchema(schema as object, `#/components/schemas/${name}`);
    expect(() => ajv.compile({ $ref: '#/components/schemas/Verification' })).not.toThrow();
  });
});
