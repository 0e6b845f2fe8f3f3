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
      '/healthz',
      '/readyz',
      '/v1/guard',
      '/v1/guard/block',
      '/v1/guard/unblock',
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

describe('HTTP API contract details', () => {
  it('declares every error as application/problem+json, with patterns for to, id and code', async () => {
    const { body: doc } = await call('GET', '/openapi.json', undefined, null);
    const errors: string[] = [];
    for (const [route, ops] of Object.entries(
      doc.paths as Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
      >,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [code, res] of Object.entries(op.responses)) {
          const types = Object.keys(res.content ?? {});
          if (Number(code) >= 400 && types.join() !== 'application/problem+json')
            errors.push(`${method} ${route} ${code}: ${types}`);
        }
      }
    }
    expect(errors).toEqual([]);
    const start = doc.paths['/v1/verifications'].post.requestBody.content['application/json'].schema;
    expect(start.properties.to.pattern).toBeTypeOf('string');
    expect(start.properties.application.enum).toEqual(['login', 'short', 'other']);
    const check = doc.paths['/v1/verifications/{id}/check'].post;
    expect(check.requestBody.content['application/json'].schema.properties.code.pattern).toBeTypeOf('string');
    expect(check.parameters.find((p: { name: string }) => p.name === 'id').schema.pattern).toBeTypeOf(
      'string',
    );
    expect(doc.paths['/v1/verifications'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(
      ['application', 'channel', 'limit', 'pageToken', 'status'],
    );
  });

  it('answers 405 with Allow for a wrong method and 415 for every body that is not JSON', async () => {
    for (const [method, route, allow] of [
      ['DELETE', '/v1/verifications/otp-login-x', 'GET, HEAD'],
      ['PUT', '/v1/verifications', 'GET, HEAD, POST'],
      ['GET', '/v1/verifications/otp-login-x/check', 'POST'],
      ['POST', '/healthz', 'GET, HEAD'],
    ] as const) {
      const res = await call(method, route, method === 'GET' ? undefined : {});
      expect(res.status, `${method} ${route}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
    ]) {
      const res = await fetch(`${base}/v1/verifications`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': type },
        body: 'to=%2B41793026727',
      });
      expect(res.status, type).toBe(415);
      expect(await res.json()).toMatchObject({ type: problemType('unsupported-media-type') });
    }
  });

  it('takes __proto__ in a body as data: an unknown field by name, not broken JSON', async () => {
    const res = await call(
      'POST',
      '/v1/verifications',
      `{"to":"${randomPhone()}","application":"login","__proto__":{"admin":true}}`,
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: '__proto__', detail: '__proto__: is not an accepted field' });
    const nested = await call(
      'POST',
      '/v1/verifications',
      `{"to":"${randomPhone()}","application":"login","placeholders":{"__proto__":"x"}}`,
    );
    expect(nested.body).toMatchObject({ status: 400, field: 'placeholders.__proto__' });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    const broken = await call('POST', '/v1/verifications', '{"to":');
    expect(broken.body).toMatchObject({ status: 400, detail: 'body: is not valid JSON' });
  });

  it('starts from a number as typed and falls back to the default language, saying so', async () => {
    const digits = randomPhone().slice(1);
    const typed = `00${digits.slice(0, 2)} ${digits.slice(2, 4)} ${digits.slice(4, 7)} ${digits.slice(7)}`;
    const res = await call('POST', '/v1/verifications', { to: typed, application: 'login', language: 'fr' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ language: 'en', requestedLanguage: 'fr' });
    const again = await call('POST', '/v1/verifications', { to: `+${digits}`, application: 'login' });
    expect(again.body).toMatchObject({ id: res.body.id, created: false, language: 'en' });
    expect(again.body.requestedLanguage).toBeUndefined();
  });

  it('lists verifications page by page without destinations, with tokens bound to the filters', async () => {
    const phones = [randomPhone(), randomPhone(), randomPhone()];
    const ids: string[] = [];
    for (const to of phones)
      ids.push((await call('POST', '/v1/verifications', { to, application: 'other' })).body.id);
    let seen: string[] = [];
    for (let i = 0; i < 50; i++) {
      seen = [];
      let token: string | undefined;
      do {
        const q = `/v1/verifications?application=other&status=PENDING&limit=2${token ? `&pageToken=${token}` : ''}`;
        const page = await call('GET', q);
        expect(page.status).toBe(200);
        expect(page.body.verifications.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.verifications.map((v: { id: string }) => v.id));
        token = page.body.nextPageToken;
        if (token) {
          // The same token with other filters, or altered, is refused.
          const other = await call('GET', `/v1/verifications?application=login&limit=2&pageToken=${token}`);
          expect(other.body).toMatchObject({ status: 400, field: 'pageToken' });
        }
      } while (token);
      if (ids.every((id) => seen.includes(id))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(ids.every((id) => seen.includes(id))).toBe(true);
    expect(new Set(seen).size).toBe(seen.length);
    const text = JSON.stringify(await call('GET', '/v1/verifications?application=other'));
    for (const to of phones) expect(text).not.toContain(to.slice(1));
    // A tenant key sees its applications only, and the status filter is checked.
    const tenant = await call('GET', '/v1/verifications?application=login', undefined, TENANT_KEY);
    expect(tenant.body).toMatchObject({ status: 400, field: 'application' });
    expect((await call('GET', '/v1/verifications?status=SLEEPING')).body).toMatchObject({
      status: 400,
      field: 'status',
    });
  });

  it('fills lastCheck for running and finished verifications', async () => {
    const { body } = await call('POST', '/v1/verifications', { to: randomPhone(), application: 'login' });
    await call('POST', `/v1/verifications/${body.id}/check`, { code: '000000' });
    const running = await call('GET', `/v1/verifications/${body.id}`);
    expect(running.body.lastCheck).toEqual({ status: 'PENDING', verified: false, attemptsRemaining: 2 });
    await call('POST', `/v1/verifications/${body.id}/check`, { code: STUB_CODE });
    await env.client.workflow.getHandle(body.id).result();
    const done = await call('GET', `/v1/verifications/${body.id}`);
    expect(done.body.lastCheck).toEqual({ status: 'VERIFIED', verified: true, attemptsRemaining: 2 });
  });
});
