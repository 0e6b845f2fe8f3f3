/**
 * `deliverWebhook` against a throwaway receiver: the HMAC signature over `t.body`, no code in
 * the body, and the failure type and retryability of each kind of answer.
 */
import { verifyWebhook, WebhookVerificationError } from '../client/webhook';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createActivities,
  FailureTypes,
  SIGNATURE_HEADER,
  WebhookFailureTypes,
  type OtpActivities,
} from '../activities';
import { sampleDeclaration, startInfobip, type InfobipFixture } from './kits/infobip';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

let fx: InfobipFixture;
let acts: OtpActivities;
let server: Server;
let url: string;
let received: Received[] = [];
let answer: { status: number; headers?: Record<string, string> } = { status: 204 };
const quiet = new DefaultLogger('ERROR');
const SECRET = 'whsec-test';

beforeAll(async () => {
  fx = await startInfobip();
  acts = createActivities({
    infobip: fx.client,
    applications: [sampleDeclaration('hooks')],
    webhookSecrets: { HOOK_SECRET: SECRET },
    webhookTimeoutMs: 300,
  });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (answer.status === 0) return; // never answer: the activity's timeout must fire
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/otp`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await fx?.close();
});
beforeEach(() => {
  received = [];
  answer = { status: 204 };
});

const deliver = (input: Partial<Parameters<OtpActivities['deliverWebhook']>[0]> = {}) =>
  new MockActivityEnvironment({}, { logger: quiet }).run(() =>
    acts.deliverWebhook({
      application: 'hooks',
      url,
      secretRef: 'HOOK_SECRET',
      body: {
        verificationId: 'v-1',
        status: 'VERIFIED',
        code: '123456',
        nested: { pin: '123456', ok: true },
      },
      ...input,
    }),
  );

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('deliverWebhook', () => {
  it('POSTs a body signed with HMAC-SHA256 over "<t>.<body>", without codes', async () => {
    await expect(deliver()).resolves.toEqual({ httpStatus: 204 });
    expect(received).toHaveLength(1);
    const [hit] = received;
    const sig = String(hit?.headers[SIGNATURE_HEADER]);
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
    expect(match).not.toBeNull();
    const [, t, v1] = match as RegExpExecArray;
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${hit?.body}`).digest('hex'));
    // What the worker sends is what the client library's verifier accepts.
    expect(verifyWebhook(hit?.body ?? '', hit?.headers ?? {}, SECRET)).toMatchObject({
      verificationId: 'v-1',
    });
    expect(() => verifyWebhook(hit?.body ?? '', hit?.headers ?? {}, 'another-secret')).toThrow(
      WebhookVerificationError,
    );
    expect(JSON.parse(hit?.body ?? '')).toEqual({
      verificationId: 'v-1',
      status: 'VERIFIED',
      nested: { ok: true },
    });
    expect(hit?.headers['content-type']).toBe('application/json');
    expect(hit?.headers['x-otpflow-delivery']).toMatch(/\S+\/\S+/);
  });

  it('sends unsigned when no secret is named, and fails for good when the named one is missing', async () => {
    await deliver({ secretRef: undefined });
    expect(received[0]?.headers[SIGNATURE_HEADER]).toBeUndefined();
    const f = await failureOf(deliver({ secretRef: 'MISSING' }));
    expect(f).toMatchObject({ type: FailureTypes.NOT_CONFIGURED, nonRetryable: true });
    expect(await failureOf(deliver({ url: 'ftp://example.com/x' }))).toMatchObject({
      type: FailureTypes.NOT_CONFIGURED,
      nonRetryable: true,
    });
  });

  it.each([400, 401, 404, 410])('%i is a non-retryable rejection', async (status) => {
    answer = { status };
    expect(await failureOf(deliver())).toMatchObject({
      type: WebhookFailureTypes.REJECTED,
      nonRetryable: true,
    });
  });

  it.each([408, 429, 500, 503])('%i is retryable', async (status) => {
    answer = { status, headers: status === 429 ? { 'retry-after': '5' } : {} };
    const f = await failureOf(deliver());
    expect(f).toMatchObject({ type: WebhookFailureTypes.UNAVAILABLE, nonRetryable: false });
    if (status === 429) expect(f.nextRetryDelay).toBe(5000);
  });

  it('no answer in time and a refused connection are retryable', async () => {
    answer = { status: 0 };
    expect(await failureOf(deliver())).toMatchObject({
      type: WebhookFailureTypes.NETWORK,
      nonRetryable: false,
    });
    const f = await failureOf(deliver({ url: 'http://127.0.0.1:1/hook' }));
    expect(f).toMatchObject({ type: WebhookFailureTypes.NETWORK, nonRetryable: false });
  });
});
