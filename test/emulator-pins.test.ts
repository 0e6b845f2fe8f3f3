import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator, testNumber, PIN_ALPHABETS, type Emulator } from '../emulator';
import { createAppWithTemplate, emulatorClient, type EmulatorClient } from './kits/emulator';

let now = 1_700_000_000_000;
let emu: Emulator;
let api: EmulatorClient;

beforeAll(async () => {
  emu = await createEmulator({ managementLimits: false, clock: () => now });
  api = emulatorClient(emu.url);
});
afterAll(() => emu.close());
beforeEach(() => {
  now += 86_400_000; // a fresh day: earlier tests' windows never interfere
});

const send = (body: Record<string, unknown>, path = '/2fa/2/pin') => api.post(path, body);

describe('send PIN over SMS', () => {
  it('delivers the rendered text to the inbox with a PIN from the template alphabet', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(
      api,
      {},
      {
        messageText: 'Hi {{name}}, your code is {{pin}} {{unknown}}',
        pinType: 'HEX',
        pinLength: 8,
        senderId: 'OTPFLOW',
      },
    );
    const to = testNumber();
    const res = await send({ applicationId, messageId, to: `+${to}`, placeholders: { name: 'Ann' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      pinId: expect.stringMatching(/^[0-9A-F]{32}$/),
      to,
      ncStatus: 'NC_DESTINATION_REACHABLE',
      smsStatus: 'MESSAGE_SENT',
    });
    const [msg, ...rest] = emu.inbox.messages(to);
    expect(rest).toEqual([]);
    expect(msg).toMatchObject({
      channel: 'SMS',
      to,
      from: 'OTPFLOW',
      pinId: res.body.pinId,
      applicationId,
      messageId,
    });
    expect(msg?.pin).toMatch(/^[0-9A-F]{8}$/);
    expect(msg?.text).toBe(`Hi Ann, your code is ${msg?.pin} {{unknown}}`);
    expect(Date.parse(msg?.sentAt ?? '')).toBe(now);
  });

  it('draws PINs of each type from its alphabet', async () => {
    for (const pinType of ['NUMERIC', 'ALPHA', 'HEX', 'ALPHANUMERIC'] as const) {
      const { applicationId, messageId } = await createAppWithTemplate(
        api,
        {},
        { messageText: '{{pin}}', pinType, pinLength: 10 },
      );
      const to = testNumber();
      await send({ applicationId, messageId, to, from: 'Bank' });
      const msg = emu.inbox.latest(to);
      expect(msg?.from).toBe('Bank');
      expect([...(msg?.pin ?? '')].every((c) => PIN_ALPHABETS[pinType].includes(c))).toBe(true);
      expect(msg?.pin).toHaveLength(10);
    }
  });

  it('runs the lookup by default and does not send when the number is not reachable', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const cases = [
      ['UNKNOWN_SUBSCRIBER', 'NC_DESTINATION_NOT_REACHABLE', 'MESSAGE_NOT_SENT'],
      ['BAD_PREFIX', 'NC_DESTINATION_NOT_REACHABLE', 'MESSAGE_NOT_SENT'],
      ['NO_SMS', 'NC_DESTINATION_NOT_REACHABLE', 'MESSAGE_NOT_SENT'],
      ['ABSENT', 'NC_DESTINATION_UNKNOWN', 'MESSAGE_SENT'],
      ['ROAMING', 'NC_DESTINATION_REACHABLE', 'MESSAGE_SENT'],
    ] as const;
    for (const [outcome, ncStatus, smsStatus] of cases) {
      const to = testNumber(outcome);
      const res = await send({ applicationId, messageId, to });
      expect(res.body, outcome).toMatchObject({ ncStatus, smsStatus });
      expect(emu.inbox.messages(to), outcome).toHaveLength(smsStatus === 'MESSAGE_SENT' ? 1 : 0);
    }
    const to = testNumber('UNKNOWN_SUBSCRIBER');
    const off = await api.post('/2fa/2/pin?ncNeeded=false', { applicationId, messageId, to });
    expect(off.body).toMatchObject({ ncStatus: 'NC_NOT_CONFIGURED', smsStatus: 'MESSAGE_SENT' });
    expect(emu.inbox.messages(to)).toHaveLength(1);
  });

  it('rejects bad bodies with named fields and sends nothing', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const before = emu.inbox.messages().length;
    const missing = await send({});
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.requestError.serviceException.validationErrors).sort()).toEqual([
      'applicationId',
      'messageId',
      'to',
    ]);
    const wrong = await send({
      applicationId,
      messageId,
      to: 'not a number',
      placeholders: { pin: '1234', n: 5 },
    });
    expect(Object.keys(wrong.body.requestError.serviceException.validationErrors).sort()).toEqual([
      'placeholders.n',
      'placeholders.pin',
      'to',
    ]);
    const nc = await api.post('/2fa/2/pin?ncNeeded=maybe', { applicationId, messageId, to: testNumber() });
    expect(nc.body.requestError.serviceException.validationErrors.ncNeeded).toBeDefined();
    expect((await send({ applicationId: 'NOPE', messageId, to: testNumber() })).status).toBe(404);
    expect((await send({ applicationId, messageId: 'NOPE', to: testNumber() })).status).toBe(404);
    expect(emu.inbox.messages()).toHaveLength(before);
  });

  it('answers 400 for a disabled application', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    await api.put(`/2fa/2/applications/${applicationId}`, { name: 'off', enabled: false });
    const res = await send({ applicationId, messageId, to: testNumber() });
    expect(res.status).toBe(400);
    expect(res.body.requestError.serviceException.text).toContain('disabled');
  });
});

describe('send limits', () => {
  it('allows sendPinPerPhoneNumberLimit sends per number in a sliding window, resends included', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api, {
      sendPinPerPhoneNumberLimit: '3/1h',
    });
    const to = testNumber();
    const first = await send({ applicationId, messageId, to });
    now += 1_000;
    expect((await api.post(`/2fa/2/pin/${first.body.pinId}/resend`, {})).status).toBe(200);
    expect((await send({ applicationId, messageId, to })).status).toBe(200);
    const over = await send({ applicationId, messageId, to });
    expect(over.status).toBe(429);
    expect(over.body.requestError.serviceException).toMatchObject({
      messageId: 'TOO_MANY_REQUESTS',
      text: expect.stringContaining('sendPinPerPhoneNumberLimit'),
    });
    expect((await api.post(`/2fa/2/pin/${first.body.pinId}/resend`, {})).status).toBe(429);
    expect((await send({ applicationId, messageId, to: testNumber() })).status).toBe(200);
    now += 3_600_000 - 999; // the first send has left the window, the resend not yet
    expect((await send({ applicationId, messageId, to })).status).toBe(200);
    expect((await send({ applicationId, messageId, to })).status).toBe(429);
    expect(emu.inbox.messages(to)).toHaveLength(4);
  });

  it('allows sendPinPerApplicationLimit sends per application', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api, {
      sendPinPerApplicationLimit: '2/1d',
    });
    expect((await send({ applicationId, messageId, to: testNumber() })).status).toBe(200);
    expect((await send({ applicationId, messageId, to: testNumber() })).status).toBe(200);
    const over = await send({ applicationId, messageId, to: testNumber() });
    expect(over.status).toBe(429);
    expect(over.body.requestError.serviceException.text).toContain('sendPinPerApplicationLimit');
  });
});

describe('voice and e-mail', () => {
  it('calls with the spoken text and resends the same PIN over voice or SMS', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(
      api,
      {},
      { messageText: 'Your code is {{pin}}', pinType: 'NUMERIC' },
    );
    const to = testNumber('NO_SMS');
    const res = await send({ applicationId, messageId, to }, '/2fa/2/pin/voice');
    expect(res.body).toEqual({ pinId: expect.any(String), to, callStatus: 'PENDING_ACCEPTED' });
    const again = await api.post(`/2fa/2/pin/${res.body.pinId}/resend/voice`, {});
    expect(again.body).toEqual({ pinId: res.body.pinId, to, callStatus: 'PENDING_ACCEPTED' });
    const [second, first] = emu.inbox.messages(to);
    expect(first).toMatchObject({ channel: 'VOICE', text: `Your code is ${first?.pin}` });
    expect(second?.pin).toBe(first?.pin);
    expect((await api.post(`/2fa/2/pin/${res.body.pinId}/resend/email`, {})).status).toBe(400);
  });

  it('e-mails the PIN and resends it by e-mail only', async () => {
    const { applicationId } = await createAppWithTemplate(api);
    const email = await api.post(`/2fa/2/applications/${applicationId}/email/messages`, {
      emailTemplateId: 9,
      from: 'otp@bank.example',
      pinType: 'ALPHA',
    });
    const to = 'Ann@Example.com';
    const res = await send({ applicationId, messageId: email.body.messageId, to }, '/2fa/2/pin/email');
    expect(res.body).toEqual({
      pinId: expect.any(String),
      to,
      emailStatus: { name: 'PENDING_ACCEPTED', description: expect.any(String) },
    });
    const resent = await api.post(`/2fa/2/pin/${res.body.pinId}/resend/email`, {
      placeholders: { name: 'Ann' },
    });
    expect(resent.status).toBe(200);
    const [b, a] = emu.inbox.messages('ann@example.com');
    expect(a).toMatchObject({ channel: 'EMAIL', from: 'otp@bank.example' });
    expect(a?.pin).toMatch(/^[A-Z]{4}$/);
    expect(b?.pin).toBe(a?.pin);
    expect((await api.post(`/2fa/2/pin/${res.body.pinId}/resend`, {})).status).toBe(400);
    expect(
      (await send({ applicationId, messageId: email.body.messageId, to: 'nope' }, '/2fa/2/pin/email')).status,
    ).toBe(400);
    expect((await send({ applicationId, messageId: email.body.messageId, to: testNumber() })).status).toBe(
      404,
    );
  });

  it('resend answers 404 for an unknown pinId and rejects a bad body', async () => {
    expect((await api.post('/2fa/2/pin/NOPE/resend', {})).status).toBe(404);
    expect((await api.post('/2fa/2/pin/NOPE/resend/voice')).status).toBe(404);
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const sent = await send({ applicationId, messageId, to: testNumber() });
    expect((await api.post(`/2fa/2/pin/${sent.body.pinId}/resend`, { placeholders: 'x' })).status).toBe(400);
    expect((await api.post(`/2fa/2/pin/${sent.body.pinId}/resend`)).status).toBe(200);
  });

  it('does not deliver an SMS resend to a number the lookup found unreachable', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const to = testNumber('UNKNOWN_SUBSCRIBER');
    const sent = await send({ applicationId, messageId, to });
    const resent = await api.post(`/2fa/2/pin/${sent.body.pinId}/resend`, {});
    expect(resent.body).toMatchObject({
      ncStatus: 'NC_DESTINATION_NOT_REACHABLE',
      smsStatus: 'MESSAGE_NOT_SENT',
    });
    expect(emu.inbox.messages(to)).toEqual([]);
  });
});
