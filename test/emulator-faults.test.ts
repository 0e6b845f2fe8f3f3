import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { createEmulator, testNumber, FaultRuleError, type Emulator } from '../emulator';
import { createAppWithTemplate, emulatorClient, type EmulatorClient } from './kits/emulator';

let emu: Emulator;
let api: EmulatorClient;

beforeAll(async () => {
  emu = await createEmulator({
    managementLimits: false,
    faults: [{ match: { path: '/2fa/2/applications/START' }, action: { status: 503 } }],
  });
  api = emulatorClient(emu.url);
});
afterAll(() => emu.close());
afterEach(async () => {
  await fetch(`${emu.url}/emulator/faults`, { method: 'DELETE' });
  await fetch(`${emu.url}/emulator/stats`, { method: 'DELETE' });
});

const addFault = async (rule: unknown) => {
  const res = await fetch(`${emu.url}/emulator/faults`, { method: 'POST', body: JSON.stringify(rule) });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

describe('fault injection', () => {
  it('applies start-up rules', async () => {
    const res = await api.get('/2fa/2/applications/START');
    expect(res.status).toBe(503);
    expect(res.body.requestError.serviceException.messageId).toBe('GENERAL_ERROR');
  });

  it('answers a status for the next N matching requests by operation template, with Retry-After, without processing', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const to = testNumber();
    const rule = await addFault({
      match: { method: 'post', path: '/2fa/2/pin' },
      times: 2,
      action: { status: 429, retryAfter: 7 },
    });
    expect(rule.status).toBe(201);
    expect(rule.body).toMatchObject({ id: expect.any(String), times: 2, fired: 0 });
    for (let i = 0; i < 2; i++) {
      const res = await api.post('/2fa/2/pin', { applicationId, messageId, to });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.body.requestError.serviceException.messageId).toBe('TOO_MANY_REQUESTS');
    }
    expect(emu.inbox.messages(to)).toEqual([]);
    expect((await api.post('/2fa/2/pin', { applicationId, messageId, to })).status).toBe(200);
    expect(emu.faults.list()).toEqual([]);
  });

  it('matches templates with parameters, prefixes and regular expressions, never /emulator', async () => {
    await addFault({ match: { path: '/2fa/2/pin/{pinId}/verify' }, action: { status: 500 } });
    await addFault({ match: { path: '/number/*' }, action: { status: 502 } });
    await addFault({
      match: { method: 'GET', path: '^/2fa/2/applications/[A-Z]+/messages$' },
      action: { status: 504 },
    });
    await addFault({ match: { path: '/emulator/*' }, action: { status: 500 } });
    expect((await api.post('/2fa/2/pin/ABC/verify', { pin: '1' })).status).toBe(500);
    expect((await api.post('/number/1/query', { to: ['41793026727'] })).status).toBe(502);
    expect((await api.get('/2fa/2/applications/ABC/messages')).status).toBe(504);
    expect((await api.get('/2fa/2/applications/ABC')).status).toBe(404);
    expect((await fetch(`${emu.url}/emulator/messages`)).status).toBe(200);
    expect((await (await fetch(`${emu.url}/emulator/faults`)).json()) as unknown).toMatchObject({
      faults: { length: 4 },
    });
  });

  it('fires on a share of requests with probability', async () => {
    await addFault({ match: { path: '/2fa/2/applications' }, probability: 0, action: { status: 500 } });
    expect((await api.get('/2fa/2/applications')).status).toBe(200);
    await fetch(`${emu.url}/emulator/faults`, { method: 'DELETE' });
    await addFault({ match: { path: '/2fa/2/applications' }, probability: 1, action: { status: 500 } });
    expect((await api.get('/2fa/2/applications')).status).toBe(500);
  });

  it('adds latency, then answers normally', async () => {
    await addFault({ match: { path: '/2fa/2/applications' }, times: 1, action: { latencyMs: 300 } });
    const t0 = performance.now();
    expect((await api.get('/2fa/2/applications')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('resets the connection without processing', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const to = testNumber();
    emu.faults.add({ match: { path: '/2fa/2/pin' }, times: 1, action: { reset: true } });
    await expect(
      fetch(`${emu.url}/2fa/2/pin`, {
        method: 'POST',
        headers: { Authorization: 'App otpflow-dev-key' },
        body: JSON.stringify({ applicationId, messageId, to }),
      }),
    ).rejects.toThrow();
    expect(emu.inbox.messages(to)).toEqual([]);
  });

  it('processes the request and then drops the response: the SMS is delivered, the caller gets no answer', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const to = testNumber();
    emu.faults.add({
      match: { method: 'POST', path: '/2fa/2/pin' },
      times: 1,
      action: { dropResponse: true },
    });
    const pool = new Pool(emu.url, { connections: 1 });
    try {
      await expect(
        pool.request({
          method: 'POST',
          path: '/2fa/2/pin',
          headers: { authorization: 'App otpflow-dev-key', 'content-type': 'application/json' },
          body: JSON.stringify({ applicationId, messageId, to }),
        }),
      ).rejects.toThrow();
      expect(emu.inbox.messages(to)).toHaveLength(1);
      const status = await api.get(`/2fa/2/applications/${applicationId}/verifications?msisdn=${to}`);
      expect(status.body.verifications).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  it('rejects malformed rules with 400 naming the problem, and FaultRuleError in code', async () => {
    for (const rule of [
      { action: {} },
      { action: { status: 200 } },
      { action: { status: 500, latencyMs: 5 } },
      { match: { path: '^(' }, action: { reset: true } },
      { times: 0, action: { reset: true } },
      { probability: 2, action: { reset: true } },
    ]) {
      const res = await addFault(rule);
      expect(res.status, JSON.stringify(rule)).toBe(400);
      expect(res.body.requestError.serviceException.text).toMatch(/^Invalid fault rule: /);
    }
    expect((await fetch(`${emu.url}/emulator/faults`, { method: 'POST', body: '{' })).status).toBe(400);
    expect(() => emu.faults.add({ action: { latencyMs: -1 } })).toThrow(FaultRuleError);
    expect(emu.faults.list()).toEqual([]);
  });

  it('deletes one rule by id', async () => {
    const { body } = await addFault({ action: { status: 500 } });
    expect((await fetch(`${emu.url}/emulator/faults/${body.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${emu.url}/emulator/faults/${body.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await api.get('/2fa/2/applications')).status).toBe(200);
  });

  it('answers 429s in the E429 envelope when configured', async () => {
    const e429 = await createEmulator({ rateLimitEnvelope: 'E429', faults: [{ action: { status: 429 } }] });
    try {
      const res = await emulatorClient(e429.url, { validator: null }).get('/2fa/2/applications');
      expect(res.status).toBe(429);
      expect(res.body).toMatchObject({
        errorCode: 'E429',
        description: expect.any(String),
        action: expect.any(String),
        violations: expect.any(Array),
        resources: [],
      });
    } finally {
      await e429.close();
    }
  });
});

describe('request stats', () => {
  it('counts requests per operation template, including faulted and rejected ones, and resets', async () => {
    emu.faults.add({ match: { path: '/2fa/2/pin/{pinId}/verify' }, times: 1, action: { status: 500 } });
    await api.post('/2fa/2/pin/A/verify', { pin: '1' });
    await api.post('/2fa/2/pin/B/verify', { pin: '1' });
    await emulatorClient(emu.url, { apiKey: 'wrong' }).get('/2fa/2/applications');
    await api.get('/nowhere');
    const res = await fetch(`${emu.url}/emulator/stats`);
    expect(await res.json()).toEqual({
      requests: { 'POST /2fa/2/pin/{pinId}/verify': 2, 'GET /2fa/2/applications': 1, UNMATCHED: 1 },
    });
    expect(emu.stats.requests()['POST /2fa/2/pin/{pinId}/verify']).toBe(2);
    await fetch(`${emu.url}/emulator/stats`, { method: 'DELETE' });
    expect(emu.stats.requests()).toEqual({});
  });
});
