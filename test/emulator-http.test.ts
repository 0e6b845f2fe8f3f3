import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, testNumber, type Emulator } from '../emulator';
import { createAppWithTemplate, emulatorClient, type EmulatorClient } from './kits/emulator';

let emu: Emulator;
let api: EmulatorClient;

beforeAll(async () => {
  emu = await createEmulator({ managementLimits: false, apiKeys: ['key-one', 'key-two'] });
  api = emulatorClient(emu.url, { apiKey: 'key-one' });
});
afterAll(() => emu.close());

const UNAUTHORIZED = {
  requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } },
};

describe('authentication', () => {
  it('accepts App <key> for every configured key', async () => {
    for (const key of ['key-one', 'key-two']) {
      const res = await emulatorClient(emu.url, { apiKey: key }).get('/2fa/2/applications');
      expect(res.status).toBe(200);
    }
  });

  it('accepts Basic with any user name and a configured key as the password', async () => {
    const basic = `Basic ${Buffer.from('anyone:key-two').toString('base64')}`;
    expect((await api.call('GET', '/2fa/2/applications', undefined, { Authorization: basic })).status).toBe(
      200,
    );
    const wrong = `Basic ${Buffer.from('key-two:nope').toString('base64')}`;
    expect((await api.call('GET', '/2fa/2/applications', undefined, { Authorization: wrong })).status).toBe(
      401,
    );
  });

  it('answers 401 in the legacy envelope for a missing, wrong or unsupported credential', async () => {
    const none = emulatorClient(emu.url, { apiKey: null });
    for (const headers of [
      {} as Record<string, string>,
      { Authorization: 'App nope' },
      { Authorization: 'Bearer key-one' },
      { Authorization: 'App' },
    ]) {
      const res = await none.call(
        'POST',
        '/2fa/2/pin',
        { applicationId: 'a', messageId: 'b', to: '41793026727' },
        headers,
      );
      expect(res.status).toBe(401);
      expect(res.body).toEqual(UNAUTHORIZED);
    }
    expect((await none.post('/number/1/query', { to: ['41793026727'] })).status).toBe(401);
  });

  it('puts an X-Request-Id on every answer, unique per request', async () => {
    const ids = new Set<string>();
    for (const res of [
      await api.get('/2fa/2/applications'),
      await api.get('/nope'),
      await api.get('/emulator/stats'),
    ]) {
      const id = res.headers.get('x-request-id');
      expect(id).toBeTruthy();
      ids.add(id ?? '');
    }
    expect(ids.size).toBe(3);
  });
});

describe('bad input', () => {
  it('answers unknown paths and unsupported methods 404 naming them', async () => {
    const unknown = await api.post('/2fa/3/pin', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.requestError.serviceException).toEqual({
      messageId: 'NOT_FOUND',
      text: 'Unknown path: POST /2fa/3/pin',
    });
    const method = await api.delete('/2fa/2/applications/ABC');
    expect(method.status).toBe(404);
    expect(method.body.requestError.serviceException.text).toBe(
      'DELETE is not supported on /2fa/2/applications/{appId}',
    );
  });

  it('answers malformed JSON, a non-object body and a missing body with 400', async () => {
    const malformed = await api.call('POST', '/2fa/2/applications', '{"name": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.requestError.serviceException.text).toMatch(/^Malformed JSON/);
    expect(
      (await api.call('POST', '/2fa/2/applications', '[1,2]')).body.requestError.serviceException.text,
    ).toBe('Request body must be a JSON object');
    expect((await api.post('/2fa/2/applications')).body.requestError.serviceException.text).toMatch(
      /body is missing/,
    );
    expect((await api.get('/2fa/2/applications')).body).toEqual([]);
  });

  it('answers a body over 1 MiB with 413 and keeps serving on the same server', async () => {
    const huge = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) });
    const res = await api.call('POST', '/2fa/2/applications', huge);
    expect(res.status).toBe(413);
    expect(res.body.requestError.serviceException).toEqual({
      messageId: 'BAD_REQUEST',
      text: 'Request body too large: the limit is 1048576 bytes',
    });
    expect((await api.get('/2fa/2/applications')).body).toEqual([]);
  });

  it('never changes state on a rejected request', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const before = JSON.stringify([
      (await api.get(`/2fa/2/applications/${applicationId}/messages`)).body,
      emu.inbox.messages(),
    ]);
    await api.post('/2fa/2/pin', { applicationId, messageId, to: 12 });
    await api.put(`/2fa/2/applications/${applicationId}/messages/${messageId}`, {
      pinType: 'NOPE',
      messageText: 'x {{pin}}',
    });
    await api.call('PUT', `/2fa/2/applications/${applicationId}`, '{broken');
    const after = JSON.stringify([
      (await api.get(`/2fa/2/applications/${applicationId}/messages`)).body,
      emu.inbox.messages(),
    ]);
    expect(after).toBe(before);
    expect((await api.get(`/2fa/2/applications/${applicationId}`)).body.name).toBe('test app');
  });
});

describe('inbox', () => {
  it('lists messages newest first, by digits or +digits, and empties per destination or wholly', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const a = testNumber();
    const b = testNumber();
    const first = await api.post('/2fa/2/pin', { applicationId, messageId, to: a });
    const second = await api.post('/2fa/2/pin', { applicationId, messageId, to: a });
    await api.post('/2fa/2/pin', { applicationId, messageId, to: b });
    const res = await fetch(`${emu.url}/emulator/messages?to=%2B${a}`);
    const body = (await res.json()) as { messages: Array<Record<string, unknown>> };
    expect(body.messages.map((m) => m.pinId)).toEqual([second.body.pinId, first.body.pinId]);
    expect(Object.keys(body.messages[0] ?? {}).sort()).toEqual(
      ['applicationId', 'channel', 'from', 'id', 'messageId', 'pin', 'pinId', 'sentAt', 'text', 'to'].sort(),
    );
    expect((await fetch(`${emu.url}/emulator/messages?to=${a}`, { method: 'DELETE' })).status).toBe(200);
    expect(emu.inbox.messages(a)).toEqual([]);
    expect(emu.inbox.messages(b)).toHaveLength(1);
    await fetch(`${emu.url}/emulator/messages`, { method: 'DELETE' });
    expect(
      ((await (await fetch(`${emu.url}/emulator/messages`)).json()) as { messages: unknown[] }).messages,
    ).toEqual([]);
  });

  it('serves a self-contained HTML page with stable test ids', async () => {
    const res = await fetch(`${emu.url}/emulator`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    for (const id of ['destination', 'message', 'pin', 'message-text', 'clear-inbox']) {
      // static markup (data-testid="x") or script (setAttribute('data-testid', 'x'))
      expect(html).toMatch(new RegExp(`data-testid(="|', ')${id}["']`));
    }
    expect(html).toContain('name="viewport"');
    expect(html).toContain("new EventSource('/emulator/events')");
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/);
  });

  it('streams each delivered message as a Server-Sent Event', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const controller = new AbortController();
    const res = await fetch(`${emu.url}/emulator/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const to = testNumber();
    await api.post('/2fa/2/pin', { applicationId, messageId, to });
    let text = '';
    while (!text.includes('event: message')) text += new TextDecoder().decode((await reader.read()).value);
    while (!text.endsWith('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    const data = JSON.parse(text.split('event: message\ndata: ')[1] ?? '') as { to: string; pin: string };
    expect(data.to).toBe(to);
    expect(data.pin).toBe(emu.inbox.latest(to)?.pin);
    controller.abort();
  });
});

describe('unknown control endpoints', () => {
  it('answers 404 without needing auth', async () => {
    const res = await fetch(`${emu.url}/emulator/nope`);
    expect(res.status).toBe(404);
    expect(
      ((await res.json()) as { requestError: { serviceException: { messageId: string } } }).requestError
        .serviceException.messageId,
    ).toBe('NOT_FOUND');
  });
});
