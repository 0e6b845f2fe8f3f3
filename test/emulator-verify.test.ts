import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator, testNumber, type Emulator } from '../emulator';
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
  now += 86_400_000;
});

/** Sends a PIN to a fresh number; returns ids, number and the delivered PIN. */
async function issue(configuration: Record<string, unknown> = {}, template?: Record<string, unknown>) {
  const { applicationId, messageId } = await createAppWithTemplate(api, configuration, template);
  const to = testNumber();
  const res = await api.post('/2fa/2/pin', { applicationId, messageId, to });
  expect(res.status).toBe(200);
  return {
    applicationId,
    messageId,
    to,
    pinId: res.body.pinId as string,
    pin: emu.inbox.latest(to)?.pin ?? '',
  };
}

const verify = (pinId: string, pin: unknown) => {
  now += 3_001; // past the default verifyPinLimit 1/3s
  return api.post(`/2fa/2/pin/${pinId}/verify`, { pin });
};
const wrong = (pin: string) => (pin.startsWith('0') ? '1' : '0') + pin.slice(1);

describe('verify PIN', () => {
  it('verifies the right PIN (attemptsRemaining 0, as in Infobip example) and again with the default configuration', async () => {
    const { pinId, pin, to } = await issue();
    expect((await verify(pinId, pin)).body).toEqual({
      pinId,
      msisdn: to,
      verified: true,
      attemptsRemaining: 0,
    });
    expect((await verify(pinId, pin)).body).toMatchObject({ verified: true });
  });

  it('answers WRONG_PIN with HTTP 200 and counts down, then NO_MORE_PIN_ATTEMPTS even for the right PIN', async () => {
    const { pinId, pin } = await issue({ pinAttempts: 2 });
    expect((await verify(pinId, wrong(pin))).body).toMatchObject({
      verified: false,
      attemptsRemaining: 1,
      pinError: 'WRONG_PIN',
    });
    const second = await verify(pinId, wrong(pin));
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ verified: false, attemptsRemaining: 0, pinError: 'WRONG_PIN' });
    expect((await verify(pinId, pin)).body).toMatchObject({
      verified: false,
      attemptsRemaining: 0,
      pinError: 'NO_MORE_PIN_ATTEMPTS',
    });
  });

  it('consumes the PIN on success when allowMultiplePinVerifications is false', async () => {
    const { pinId, pin } = await issue({ allowMultiplePinVerifications: false });
    expect((await verify(pinId, pin)).body).toMatchObject({ verified: true });
    expect((await verify(pinId, pin)).body).toMatchObject({
      verified: false,
      pinError: 'NO_MORE_PIN_ATTEMPTS',
      attemptsRemaining: 0,
    });
  });

  it('answers TTL_EXPIRED after pinTimeToLive, before counting attempts, and resend does not extend it', async () => {
    const { pinId, pin } = await issue({ pinTimeToLive: '1m', verifyPinLimit: '100/1s' });
    now += 50_000;
    expect((await api.post(`/2fa/2/pin/${pinId}/resend`, {})).status).toBe(200);
    expect(emu.inbox.messages().find((m) => m.pinId === pinId)?.pin).toBe(pin);
    now += 10_000;
    const expired = await api.post(`/2fa/2/pin/${pinId}/verify`, { pin });
    expect(expired.body).toMatchObject({ verified: false, pinError: 'TTL_EXPIRED', attemptsRemaining: 10 });
  });

  it('limits verify calls per number with verifyPinLimit (429), before anything else is checked', async () => {
    const { pinId, pin } = await issue({ verifyPinLimit: '2/10s' });
    expect((await api.post(`/2fa/2/pin/${pinId}/verify`, { pin: wrong(pin) })).status).toBe(200);
    expect((await api.post(`/2fa/2/pin/${pinId}/verify`, { pin: wrong(pin) })).body.attemptsRemaining).toBe(
      8,
    );
    const over = await api.post(`/2fa/2/pin/${pinId}/verify`, { pin });
    expect(over.status).toBe(429);
    expect(over.body.requestError.serviceException).toMatchObject({
      messageId: 'TOO_MANY_REQUESTS',
      text: expect.stringContaining('verifyPinLimit'),
    });
    now += 10_001;
    expect((await api.post(`/2fa/2/pin/${pinId}/verify`, { pin })).body).toMatchObject({ verified: true });
  });

  it('accepts letters in any case for letter alphabets', async () => {
    const { pinId, pin } = await issue({}, { messageText: '{{pin}}', pinType: 'ALPHA', pinLength: 6 });
    expect((await verify(pinId, pin.toLowerCase())).body.verified).toBe(true);
  });

  it('answers 404 for an unknown pinId and 400 for a missing or non-string pin, without using an attempt', async () => {
    const unknown = await api.post('/2fa/2/pin/NOPE/verify', { pin: '1234' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.requestError.serviceException.messageId).toBe('NOT_FOUND');
    const { pinId, pin } = await issue();
    expect((await verify(pinId, undefined)).status).toBe(400);
    const typed = await verify(pinId, 1234);
    expect(typed.status).toBe(400);
    expect(typed.body.requestError.serviceException.validationErrors.pin).toEqual(['must be a string']);
    expect((await verify(pinId, wrong(pin))).body.attemptsRemaining).toBe(9);
  });

  it('answers 400 when the application was disabled after the send', async () => {
    const { applicationId, pinId, pin } = await issue();
    await api.put(`/2fa/2/applications/${applicationId}`, { name: 'off', enabled: false });
    expect((await verify(pinId, pin)).status).toBe(400);
  });
});

describe('verification status', () => {
  it('lists one entry per PIN, newest first, times in Unix ms, filterable by verified and sent', async () => {
    const { applicationId, messageId, to, pinId, pin } = await issue();
    const sentAt1 = now;
    now += 5_000;
    await api.post('/2fa/2/pin', { applicationId, messageId, to });
    const sentAt2 = now;
    await verify(pinId, pin);
    const verifiedAt = now;

    const all = await api.get(`/2fa/2/applications/${applicationId}/verifications?msisdn=${to}`);
    expect(all.status).toBe(200);
    expect(all.body.verifications).toEqual([
      { msisdn: to, verified: false, sentAt: sentAt2 },
      { msisdn: to, verified: true, verifiedAt, sentAt: sentAt1 },
    ]);
    const verified = await api.get(
      `/2fa/2/applications/${applicationId}/verifications?msisdn=%2B${to}&verified=true`,
    );
    expect(verified.body.verifications).toHaveLength(1);
    const unsent = await api.get(
      `/2fa/2/applications/${applicationId}/verifications?msisdn=${to}&sent=false`,
    );
    expect(unsent.body.verifications).toEqual([]);
  });

  it('includes PINs that were not sent, without sentAt', async () => {
    const { applicationId, messageId } = await createAppWithTemplate(api);
    const to = testNumber('UNKNOWN_SUBSCRIBER');
    await api.post('/2fa/2/pin', { applicationId, messageId, to });
    const res = await api.get(`/2fa/2/applications/${applicationId}/verifications?msisdn=${to}&sent=false`);
    expect(res.body.verifications).toEqual([{ msisdn: to, verified: false }]);
  });

  it('requires msisdn and boolean filters', async () => {
    const { applicationId } = await createAppWithTemplate(api);
    const missing = await api.get(`/2fa/2/applications/${applicationId}/verifications`);
    expect(missing.status).toBe(400);
    expect(missing.body.requestError.serviceException.validationErrors.msisdn).toBeDefined();
    expect(
      (await api.get(`/2fa/2/applications/${applicationId}/verifications?msisdn=1&verified=yes`)).status,
    ).toBe(400);
  });
});
