/**
 * Failures of the Infobip client: both error envelopes, status, messageId, validation errors,
 * X-Request-Id and Retry-After; timeouts and network errors with `mayHaveReachedServer`;
 * aborts; bodies consumed so a pool of one connection keeps working after errors.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, errors as undiciErrors } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createInfobipClient,
  InfobipAbortedError,
  InfobipBadResponseError,
  InfobipHttpError,
  InfobipNetworkError,
  InfobipTimeoutError,
  parseErrorBody,
  parseRetryAfter,
  type InfobipClient,
} from '../infobip';
import { freshNumber, startInfobip, TEST_API_KEY, type InfobipFixture } from './kits/infobip';

let fx: InfobipFixture;
let appId: string;
let msgId: string;
beforeAll(async () => {
  fx = await startInfobip();
  appId = (await fx.client.createApplication({ name: 'errors' })).applicationId;
  msgId = (await fx.client.createMessageTemplate(appId, { messageText: '{{pin}}', pinType: 'NUMERIC' }))
    .messageId;
});
afterAll(async () => {
  await fx?.close();
});
afterEach(() => fx.emulator.faults.clear());

const send = (client: InfobipClient = fx.client, signal?: AbortSignal) =>
  client.sendSmsPin(
    { applicationId: appId, messageId: msgId, to: freshNumber() },
    { ncNeeded: false, signal },
  );

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('HTTP errors', () => {
  it('parses the legacy envelope with validation errors and the request id', async () => {
    const err = await caught(
      fx.client.createApplication({ name: 'bad', configuration: { pinTimeToLive: 'soon' } }),
    );
    expect(err).toBeInstanceOf(InfobipHttpError);
    const e = err as InfobipHttpError;
    expect(e).toMatchObject({
      code: 'INFOBIP_HTTP',
      status: 400,
      messageId: 'BAD_REQUEST',
      mayHaveReachedServer: false,
    });
    expect(e.validationErrors.map((v) => v.property)).toContain('configuration.pinTimeToLive');
    expect(e.requestId).toMatch(/\S+/);
    expect(e.message).toMatch(/^POST \/2fa\/2\/applications answered 400/);
  });

  it.each([
    [401, 'UNAUTHORIZED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [500, 'GENERAL_ERROR'],
    [503, 'GENERAL_ERROR'],
  ])('maps an injected %i to status and messageId', async (status, messageId) => {
    fx.emulator.faults.add({ match: { method: 'POST', path: '/2fa/2/pin' }, times: 1, action: { status } });
    const e = (await caught(send())) as InfobipHttpError;
    expect(e).toMatchObject({ code: 'INFOBIP_HTTP', status, messageId, mayHaveReachedServer: status >= 500 });
    expect(e.message).toContain(`POST /2fa/2/pin answered ${status}`);
  });

  it('answers 401 for a wrong API key and 404 for an unknown pinId', async () => {
    const other = createInfobipClient({ baseUrl: fx.emulator.url, apiKey: 'wrong' });
    try {
      await expect(other.listApplications()).rejects.toMatchObject({
        status: 401,
        messageId: 'UNAUTHORIZED',
      });
    } finally {
      await other.close();
    }
    await expect(fx.client.verifyPin('NOPE', '1234')).rejects.toMatchObject({
      status: 404,
      call: 'POST /2fa/2/pin/NOPE/verify',
    });
  });

  it('reads Retry-After on a 429 (seconds and HTTP dates)', async () => {
    fx.emulator.faults.add({
      match: { path: '/2fa/2/pin' },
      times: 1,
      action: { status: 429, retryAfter: 7 },
    });
    const e = (await caught(send())) as InfobipHttpError;
    expect(e).toMatchObject({ status: 429, messageId: 'TOO_MANY_REQUESTS', retryAfterMs: 7000 });
    expect(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThan(28_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('parses the E429 envelope, keeping the violation that names a send limit', async () => {
    const strict = await startInfobip({ rateLimitEnvelope: 'E429' });
    try {
      const app = await strict.client.createApplication({
        name: 'limited',
        configuration: { sendPinPerPhoneNumberLimit: '1/1d' },
      });
      const tpl = await strict.client.createMessageTemplate(app.applicationId, {
        messageText: '{{pin}}',
        pinType: 'NUMERIC',
      });
      const to = freshNumber();
      const req = { applicationId: app.applicationId, messageId: tpl.messageId, to };
      await strict.client.sendSmsPin(req, { ncNeeded: false });
      const e = (await caught(strict.client.sendSmsPin(req, { ncNeeded: false }))) as InfobipHttpError;
      expect(e).toMatchObject({ status: 429, messageId: 'E429' });
      expect(e.validationErrors[0]?.message).toMatch(/sendPinPerPhoneNumberLimit/);
    } finally {
      await strict.close();
    }
    expect(parseErrorBody('<html>gateway</html>')).toMatchObject({
      text: '<html>gateway</html>',
      validationErrors: [],
    });
  });
});

describe('transport failures', () => {
  it('a reset says the request may have reached Infobip', async () => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { reset: true } });
    const e = await caught(send());
    expect(e).toBeInstanceOf(InfobipNetworkError);
    expect(e).toMatchObject({ code: 'INFOBIP_NETWORK', mayHaveReachedServer: true });
  });

  it('a dropped response after processing says the same, and the PIN did go out', async () => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { dropResponse: true } });
    const to = freshNumber();
    const e = await caught(
      fx.client.sendSmsPin({ applicationId: appId, messageId: msgId, to }, { ncNeeded: false }),
    );
    expect(e).toMatchObject({ code: 'INFOBIP_NETWORK', mayHaveReachedServer: true });
    expect(fx.emulator.inbox.messages(to)).toHaveLength(1);
  });

  it('a refused connection says it never reached Infobip', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const closed = createInfobipClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: TEST_API_KEY });
    try {
      const e = await caught(closed.listApplications());
      expect(e).toMatchObject({
        code: 'INFOBIP_NETWORK',
        causeCode: 'ECONNREFUSED',
        mayHaveReachedServer: false,
      });
    } finally {
      await closed.close();
    }
  });

  it('a connect timeout says it never reached Infobip', async () => {
    // A connector that never connects, as undici reports a SYN that gets no answer.
    const pool = new Pool(fx.emulator.url, {
      connect: (_opts, cb) => setTimeout(() => cb(new undiciErrors.ConnectTimeoutError(), null), 10),
    });
    const client = createInfobipClient({ baseUrl: fx.emulator.url, apiKey: TEST_API_KEY, dispatcher: pool });
    try {
      const e = await caught(client.listApplications());
      expect(e).toBeInstanceOf(InfobipTimeoutError);
      expect(e).toMatchObject({ code: 'INFOBIP_TIMEOUT', phase: 'connect', mayHaveReachedServer: false });
    } finally {
      await pool.close();
    }
  });

  it('a headers timeout says the request may have reached Infobip', async () => {
    const slow = createInfobipClient({
      baseUrl: fx.emulator.url,
      apiKey: TEST_API_KEY,
      headersTimeoutMs: 100,
    });
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { latencyMs: 1000 } });
    try {
      const e = await caught(send(slow));
      expect(e).toMatchObject({ code: 'INFOBIP_TIMEOUT', phase: 'headers', mayHaveReachedServer: true });
    } finally {
      await slow.close();
    }
  });

  it('a body timeout says the request reached Infobip', async () => {
    const stall = await startStallingServer();
    const client = createInfobipClient({ baseUrl: stall.url, apiKey: TEST_API_KEY, bodyTimeoutMs: 100 });
    try {
      const e = await caught(client.listApplications());
      expect(e).toMatchObject({ code: 'INFOBIP_TIMEOUT', phase: 'body', mayHaveReachedServer: true });
    } finally {
      await client.close();
      await stall.close();
    }
  });

  it('a 2xx whose body is not JSON is a bad response that may have reached Infobip', async () => {
    const html = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy</html>'),
    );
    await new Promise<void>((r) => html.listen(0, '127.0.0.1', r));
    const client = createInfobipClient({
      baseUrl: `http://127.0.0.1:${(html.address() as AddressInfo).port}`,
      apiKey: TEST_API_KEY,
    });
    try {
      const e = await caught(client.listApplications());
      expect(e).toBeInstanceOf(InfobipBadResponseError);
      expect(e).toMatchObject({ code: 'INFOBIP_BAD_RESPONSE', status: 200, mayHaveReachedServer: true });
    } finally {
      await client.close();
      await new Promise<void>((r) => html.close(() => r()));
    }
  });

  it('an abort stops the call with InfobipAbortedError', async () => {
    fx.emulator.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { latencyMs: 2000 } });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    const e = await caught(send(fx.client, controller.signal));
    expect(e).toBeInstanceOf(InfobipAbortedError);
    expect(Date.now() - started).toBeLessThan(1500);
    await expect(send(fx.client, AbortSignal.abort())).rejects.toMatchObject({
      code: 'INFOBIP_ABORTED',
      mayHaveReachedServer: false,
    });
  });

  it('consumes error bodies: one keep-alive connection serves many failed and good calls', async () => {
    const pool = new Pool(fx.emulator.url, { connections: 1 });
    let connections = 0;
    pool.on('connect', () => connections++);
    const client = createInfobipClient({ baseUrl: fx.emulator.url, apiKey: TEST_API_KEY, dispatcher: pool });
    try {
      for (let i = 0; i < 10; i++)
        await expect(client.getApplication(`missing-${i}`)).rejects.toMatchObject({ status: 404 });
      await expect(client.listApplications()).resolves.toBeInstanceOf(Array);
      expect(connections).toBe(1);
    } finally {
      await pool.close();
    }
  });
});

/** A server that answers headers and then never finishes the body. */
async function startStallingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
