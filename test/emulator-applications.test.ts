import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, DEFAULT_CONFIGURATION, type Emulator } from '../emulator';
import { emulatorClient, type EmulatorClient } from './kits/emulator';

let emu: Emulator;
let api: EmulatorClient;

beforeAll(async () => {
  emu = await createEmulator({ managementLimits: false });
  api = emulatorClient(emu.url);
});
afterAll(() => emu.close());

const newApp = async (body: unknown = { name: 'login' }) => {
  const res = await api.post('/2fa/2/applications', body);
  expect(res.status).toBe(201);
  return res.body.applicationId as string;
};

describe('applications', () => {
  it('creates with every default filled in and an opaque 32-hex id', async () => {
    const res = await api.post('/2fa/2/applications', { name: 'login' });
    expect(res.status).toBe(201);
    expect(res.body.applicationId).toMatch(/^[0-9A-F]{32}$/);
    expect(res.body).toMatchObject({ name: 'login', enabled: true, configuration: DEFAULT_CONFIGURATION });
  });

  it('keeps given configuration values and fills the rest', async () => {
    const res = await api.post('/2fa/2/applications', {
      name: 'strict',
      enabled: false,
      configuration: {
        pinAttempts: 3,
        allowMultiplePinVerifications: false,
        pinTimeToLive: '2m',
        verifyPinLimit: '5/1m',
      },
    });
    expect(res.body.enabled).toBe(false);
    expect(res.body.configuration).toEqual({
      ...DEFAULT_CONFIGURATION,
      pinAttempts: 3,
      allowMultiplePinVerifications: false,
      pinTimeToLive: '2m',
      verifyPinLimit: '5/1m',
    });
  });

  it('lists and gets applications', async () => {
    const id = await newApp({ name: 'listed' });
    const list = await api.get('/2fa/2/applications');
    expect(list.status).toBe(200);
    expect(list.body.map((a: { applicationId: string }) => a.applicationId)).toContain(id);
    const one = await api.get(`/2fa/2/applications/${id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ applicationId: id, name: 'listed' });
  });

  it('PUT replaces the whole configuration: omitted fields return to defaults', async () => {
    const id = await newApp({ name: 'a', configuration: { pinAttempts: 2, pinTimeToLive: '1h' } });
    const res = await api.put(`/2fa/2/applications/${id}`, { name: 'b', configuration: { pinAttempts: 5 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ applicationId: id, name: 'b', enabled: true });
    expect(res.body.configuration).toEqual({ ...DEFAULT_CONFIGURATION, pinAttempts: 5 });
    expect((await api.get(`/2fa/2/applications/${id}`)).body.name).toBe('b');
  });

  it('rejects a missing name, wrong types and invalid durations with validationErrors', async () => {
    const res = await api.post('/2fa/2/applications', {
      enabled: 'yes',
      configuration: {
        pinAttempts: 'ten',
        pinTimeToLive: '15 minutes',
        verifyPinLimit: '1/2d',
        sendPinPerPhoneNumberLimit: '3',
      },
    });
    expect(res.status).toBe(400);
    const ex = res.body.requestError.serviceException;
    expect(ex.messageId).toBe('BAD_REQUEST');
    expect(Object.keys(ex.validationErrors).sort()).toEqual([
      'configuration.pinAttempts',
      'configuration.pinTimeToLive',
      'configuration.sendPinPerPhoneNumberLimit',
      'configuration.verifyPinLimit',
      'enabled',
      'name',
    ]);
    expect(ex.text).toContain('pinTimeToLive');
  });

  it('rejects a TTL over one year and PUT without a name, changing nothing', async () => {
    expect(
      (await api.post('/2fa/2/applications', { name: 'x', configuration: { pinTimeToLive: '366d' } })).status,
    ).toBe(400);
    const id = await newApp({ name: 'keep' });
    const put = await api.put(`/2fa/2/applications/${id}`, { configuration: { pinAttempts: 1 } });
    expect(put.status).toBe(400);
    expect(put.body.requestError.serviceException.validationErrors.name).toBeDefined();
    expect((await api.get(`/2fa/2/applications/${id}`)).body).toMatchObject({
      name: 'keep',
      configuration: DEFAULT_CONFIGURATION,
    });
  });

  it('answers 404 NOT_FOUND for unknown application ids', async () => {
    for (const res of [
      await api.get('/2fa/2/applications/NOPE'),
      await api.put('/2fa/2/applications/NOPE', { name: 'x' }),
      await api.get('/2fa/2/applications/NOPE/messages'),
      await api.post('/2fa/2/applications/NOPE/messages', { messageText: '{{pin}}', pinType: 'NUMERIC' }),
      await api.get('/2fa/2/applications/NOPE/verifications?msisdn=41793026727'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.requestError.serviceException).toMatchObject({
        messageId: 'NOT_FOUND',
        text: expect.stringContaining('NOPE'),
      });
    }
  });
});

describe('message templates', () => {
  it('creates an SMS/voice template with defaults and pinPlaceholder', async () => {
    const id = await newApp();
    const res = await api.post(`/2fa/2/applications/${id}/messages`, {
      messageText: 'Code {{pin}}',
      pinType: 'HEX',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      applicationId: id,
      messageText: 'Code {{pin}}',
      pinType: 'HEX',
      pinLength: 4,
      language: 'en',
      pinPlaceholder: '{{pin}}',
    });
    expect(res.body.messageId).toMatch(/^[0-9A-F]{32}$/);
  });

  it('keeps voice and regional options, gets and lists templates of both kinds', async () => {
    const id = await newApp();
    const sms = await api.post(`/2fa/2/applications/${id}/messages`, {
      messageText: 'Dein Code {{pin}}',
      pinType: 'ALPHANUMERIC',
      pinLength: 8,
      senderId: 'Otpflow',
      language: 'de',
      voiceName: 'Hans',
      repeatDTMF: '1#',
      speechRate: 1.5,
      regional: { indiaDlt: { principalEntityId: 'PE1', contentTemplateId: 'CT1' } },
    });
    expect(sms.status).toBe(200);
    expect(sms.body).toMatchObject({
      senderId: 'Otpflow',
      language: 'de',
      repeatDTMF: '1#',
      speechRate: 1.5,
      pinLength: 8,
    });
    expect(sms.body.regional.indiaDlt).toEqual({ principalEntityId: 'PE1', contentTemplateId: 'CT1' });
    const email = await api.post(`/2fa/2/applications/${id}/email/messages`, {
      emailTemplateId: 42,
      from: 'a@b.example',
    });
    expect(email.status).toBe(200);
    expect(email.body).toMatchObject({
      applicationId: id,
      emailTemplateId: 42,
      from: 'a@b.example',
      pinType: 'NUMERIC',
      pinLength: 4,
    });

    const got = await api.get(`/2fa/2/applications/${id}/messages/${sms.body.messageId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ messageId: sms.body.messageId, voiceName: 'Hans' });
    const list = await api.get(`/2fa/2/applications/${id}/messages`);
    expect(list.body.map((m: { messageId: string }) => m.messageId).sort()).toEqual(
      [sms.body.messageId, email.body.messageId].sort(),
    );
  });

  it('updates templates field by field', async () => {
    const id = await newApp();
    const sms = await api.post(`/2fa/2/applications/${id}/messages`, {
      messageText: 'A {{pin}}',
      pinType: 'NUMERIC',
      senderId: 'X',
    });
    const upd = await api.put(`/2fa/2/applications/${id}/messages/${sms.body.messageId}`, {
      messageText: 'B {{pin}}',
      pinLength: 6,
    });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({
      messageText: 'B {{pin}}',
      pinLength: 6,
      pinType: 'NUMERIC',
      senderId: 'X',
    });
    const email = await api.post(`/2fa/2/applications/${id}/email/messages`, { emailTemplateId: 1 });
    const eu = await api.put(`/2fa/2/applications/${id}/email/messages/${email.body.messageId}`, {
      pinType: 'ALPHA',
      landingPageId: 'L',
    });
    expect(eu.status).toBe(200);
    expect(eu.body).toMatchObject({ emailTemplateId: 1, pinType: 'ALPHA', landingPageId: 'L' });
  });

  it('rejects templates without {{pin}}, with a bad pinType, length or language', async () => {
    const id = await newApp();
    const res = await api.post(`/2fa/2/applications/${id}/messages`, {
      messageText: 'no pin',
      pinType: 'EMOJI',
      pinLength: 11,
      language: 'xx',
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.requestError.serviceException.validationErrors).sort()).toEqual([
      'language',
      'messageText',
      'pinLength',
      'pinType',
    ]);
    const missing = await api.post(`/2fa/2/applications/${id}/messages`, {});
    expect(Object.keys(missing.body.requestError.serviceException.validationErrors).sort()).toEqual([
      'messageText',
      'pinType',
    ]);
    const email = await api.post(`/2fa/2/applications/${id}/email/messages`, { emailTemplateId: 'abc' });
    expect(email.status).toBe(400);
    expect(email.body.requestError.serviceException.validationErrors.emailTemplateId).toBeDefined();
    expect((await api.get(`/2fa/2/applications/${id}/messages`)).body).toEqual([]);
  });

  it('rejects an update that drops {{pin}} and leaves the template unchanged', async () => {
    const id = await newApp();
    const sms = await api.post(`/2fa/2/applications/${id}/messages`, {
      messageText: 'A {{pin}}',
      pinType: 'NUMERIC',
    });
    const upd = await api.put(`/2fa/2/applications/${id}/messages/${sms.body.messageId}`, {
      messageText: 'no placeholder',
      pinLength: 8,
    });
    expect(upd.status).toBe(400);
    expect((await api.get(`/2fa/2/applications/${id}/messages/${sms.body.messageId}`)).body).toMatchObject({
      messageText: 'A {{pin}}',
      pinLength: 4,
    });
  });

  it('answers 404 for unknown templates, templates of another application and the wrong kind', async () => {
    const a = await newApp();
    const b = await newApp();
    const sms = await api.post(`/2fa/2/applications/${a}/messages`, {
      messageText: '{{pin}}',
      pinType: 'NUMERIC',
    });
    const email = await api.post(`/2fa/2/applications/${a}/email/messages`, { emailTemplateId: 7 });
    expect((await api.get(`/2fa/2/applications/${a}/messages/NOPE`)).status).toBe(404);
    expect((await api.get(`/2fa/2/applications/${b}/messages/${sms.body.messageId}`)).status).toBe(404);
    expect(
      (await api.put(`/2fa/2/applications/${a}/messages/${email.body.messageId}`, { pinLength: 5 })).status,
    ).toBe(404);
    expect(
      (await api.put(`/2fa/2/applications/${a}/email/messages/${sms.body.messageId}`, { pinLength: 5 }))
        .status,
    ).toBe(404);
  });
});

describe('management throttles', () => {
  it('limits creating applications to 20 per 10 minutes per account, then frees up', async () => {
    let now = 1_700_000_000_000;
    const limited = await createEmulator({ clock: () => now });
    try {
      const c = emulatorClient(limited.url);
      for (let i = 0; i < 20; i++)
        expect((await c.post('/2fa/2/applications', { name: `a${i}` })).status).toBe(201);
      const over = await c.post('/2fa/2/applications', { name: 'one too many' });
      expect(over.status).toBe(429);
      expect(over.body.requestError.serviceException).toMatchObject({
        messageId: 'TOO_MANY_REQUESTS',
        text: expect.stringContaining('20/10m'),
      });
      expect((await c.get('/2fa/2/applications')).body).toHaveLength(20);
      now += 600_001;
      expect((await c.post('/2fa/2/applications', { name: 'later' })).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});
