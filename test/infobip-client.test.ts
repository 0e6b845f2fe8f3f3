/**
 * Every operation of the Infobip client against the emulator over real HTTP: what it sends
 * (E.164 in, Infobip's digits on the wire) and what it parses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfobipInvalidArgumentError } from '../infobip';
import { freshNumber, startInfobip, type InfobipFixture } from './kits/infobip';

let fx: InfobipFixture;
beforeAll(async () => {
  fx = await startInfobip();
});
afterAll(async () => {
  await fx?.close();
});

const digits = (e164: string) => e164.slice(1);

async function newApp(name = `app-${Math.random().toString(36).slice(2, 8)}`) {
  const app = await fx.client.createApplication({
    name,
    enabled: true,
    configuration: {
      pinAttempts: 3,
      pinTimeToLive: '5m',
      verifyPinLimit: '100/1s',
      sendPinPerPhoneNumberLimit: '20/1h',
    },
  });
  const sms = await fx.client.createMessageTemplate(app.applicationId, {
    messageText: 'Code {{pin}} for {{name}}',
    pinType: 'NUMERIC',
    pinLength: 6,
    senderId: 'otpflow',
    language: 'en',
  });
  const email = await fx.client.createEmailTemplate(app.applicationId, {
    emailTemplateId: 42,
    from: 'a@otpflow.test',
  });
  return { app, sms, email };
}

describe('applications', () => {
  it('creates, lists, gets and updates an application', async () => {
    const created = await fx.client.createApplication({ name: 'crud', configuration: { pinAttempts: 4 } });
    expect(created.applicationId).toMatch(/\S+/);
    expect(created.configuration?.pinAttempts).toBe(4);

    const listed = await fx.client.listApplications();
    expect(listed.map((a) => a.applicationId)).toContain(created.applicationId);

    const got = await fx.client.getApplication(created.applicationId);
    expect(got.name).toBe('crud');

    const updated = await fx.client.updateApplication(created.applicationId, {
      name: 'crud',
      enabled: false,
      configuration: { pinAttempts: 7, pinTimeToLive: '2m' },
    });
    expect(updated).toMatchObject({ enabled: false, configuration: { pinAttempts: 7, pinTimeToLive: '2m' } });
    expect((await fx.client.getApplication(created.applicationId)).enabled).toBe(false);
  });
});

describe('templates', () => {
  it('creates, lists, gets and updates SMS/voice and e-mail templates', async () => {
    const { app, sms, email } = await newApp();
    expect(sms).toMatchObject({
      messageText: 'Code {{pin}} for {{name}}',
      pinLength: 6,
      pinPlaceholder: '{{pin}}',
    });
    const voice = await fx.client.createMessageTemplate(app.applicationId, {
      messageText: 'Your code is {{pin}}',
      pinType: 'NUMERIC',
      voiceName: 'Joanna',
      speechRate: 1.5,
      repeatDTMF: '1#',
    });

    const list = await fx.client.listMessageTemplates(app.applicationId);
    expect(list.map((t) => t.messageId).sort()).toEqual(
      [sms.messageId, email.messageId, voice.messageId].sort(),
    );

    const got = await fx.client.getMessageTemplate(app.applicationId, voice.messageId);
    expect(got).toMatchObject({ voiceName: 'Joanna', speechRate: 1.5, repeatDTMF: '1#' });

    const changed = await fx.client.updateMessageTemplate(app.applicationId, sms.messageId, {
      messageText: 'New {{pin}}',
      pinType: 'HEX',
      pinLength: 8,
    });
    expect(changed).toMatchObject({ messageText: 'New {{pin}}', pinType: 'HEX', pinLength: 8 });

    expect(email).toMatchObject({ emailTemplateId: 42, from: 'a@otpflow.test' });
    const emailChanged = await fx.client.updateEmailTemplate(app.applicationId, email.messageId, {
      emailTemplateId: 43,
      pinLength: 5,
    });
    expect(emailChanged).toMatchObject({ emailTemplateId: 43, pinLength: 5 });
  });
});

describe('PINs', () => {
  it('sends over SMS with the number as digits, honours ncNeeded, resends the same PIN, verifies', async () => {
    const { app, sms } = await newApp();
    const to = freshNumber();
    const sent = await fx.client.sendSmsPin(
      { applicationId: app.applicationId, messageId: sms.messageId, to, placeholders: { name: 'Shop' } },
      { ncNeeded: true },
    );
    expect(sent).toMatchObject({
      to: digits(to),
      smsStatus: 'MESSAGE_SENT',
      ncStatus: 'NC_DESTINATION_REACHABLE',
    });
    const [msg] = fx.emulator.inbox.messages(to);
    expect(msg).toMatchObject({ channel: 'SMS', to: digits(to), from: 'otpflow', pinId: sent.pinId });
    expect(msg?.text).toBe(`Code ${msg?.pin} for Shop`);

    const noNc = await fx.client.sendSmsPin(
      { applicationId: app.applicationId, messageId: sms.messageId, to },
      { ncNeeded: false },
    );
    expect(noNc.ncStatus).toBe('NC_NOT_CONFIGURED');

    const again = await fx.client.resendSmsPin(sent.pinId, { placeholders: { name: 'Shop' } });
    expect(again.pinId).toBe(sent.pinId);
    const [resent] = fx.emulator.inbox.messages(to);
    expect(resent?.pin).toBe(msg?.pin);

    const wrong = await fx.client.verifyPin(sent.pinId, msg?.pin === '000000' ? '111111' : '000000');
    expect(wrong).toMatchObject({ verified: false, pinError: 'WRONG_PIN', attemptsRemaining: 2 });
    const right = await fx.client.verifyPin(sent.pinId, msg?.pin ?? '');
    expect(right).toMatchObject({ verified: true, msisdn: digits(to) });
  });

  it('sends and resends over voice and e-mail', async () => {
    const { app, sms, email } = await newApp();
    const to = freshNumber();
    const voice = await fx.client.sendVoicePin({
      applicationId: app.applicationId,
      messageId: sms.messageId,
      to,
    });
    expect(voice).toMatchObject({ to: digits(to), callStatus: 'PENDING_ACCEPTED' });
    const voiceAgain = await fx.client.resendVoicePin(voice.pinId);
    expect(voiceAgain.pinId).toBe(voice.pinId);
    expect(fx.emulator.inbox.messages(to).map((m) => m.channel)).toEqual(['VOICE', 'VOICE']);

    const address = `p${Date.now()}@example.com`;
    const mail = await fx.client.sendEmailPin({
      applicationId: app.applicationId,
      messageId: email.messageId,
      to: address,
    });
    expect(mail).toMatchObject({ to: address, emailStatus: { name: 'PENDING_ACCEPTED' } });
    const mailAgain = await fx.client.resendEmailPin(mail.pinId);
    expect(mailAgain.pinId).toBe(mail.pinId);
    expect(fx.emulator.inbox.messages(address)).toHaveLength(2);
  });

  it('reports verification status per PIN sent to a destination', async () => {
    const { app, sms } = await newApp();
    const to = freshNumber();
    const before = Date.now();
    const first = await fx.client.sendSmsPin(
      { applicationId: app.applicationId, messageId: sms.messageId, to },
      { ncNeeded: false },
    );
    await fx.client.sendSmsPin(
      { applicationId: app.applicationId, messageId: sms.messageId, to },
      { ncNeeded: false },
    );
    const pin = fx.emulator.inbox.messages(to).find((m) => m.pinId === first.pinId)?.pin ?? '';
    await fx.client.verifyPin(first.pinId, pin);

    const all = await fx.client.getVerificationStatus(app.applicationId, { msisdn: to });
    expect(all.verifications).toHaveLength(2);
    for (const v of all.verifications) expect(v.sentAt).toBeGreaterThanOrEqual(before - 1000);
    const verified = await fx.client.getVerificationStatus(app.applicationId, { msisdn: to, verified: true });
    expect(verified.verifications).toHaveLength(1);
    expect(verified.verifications[0]).toMatchObject({ msisdn: digits(to), verified: true });
    const other = await fx.client.getVerificationStatus(app.applicationId, { msisdn: freshNumber() });
    expect(other.verifications).toEqual([]);
  });

  it('rejects a number that is not E.164 before any request', async () => {
    fx.emulator.stats.reset();
    await expect(
      fx.client.sendSmsPin({ applicationId: 'A', messageId: 'M', to: '0041793026727' }),
    ).rejects.toBeInstanceOf(InfobipInvalidArgumentError);
    await expect(
      fx.client.sendEmailPin({ applicationId: 'A', messageId: 'M', to: 'not-an-address' }),
    ).rejects.toMatchObject({
      code: 'INFOBIP_INVALID_ARGUMENT',
      mayHaveReachedServer: false,
    });
    await expect(fx.client.lookupNumbers([])).rejects.toMatchObject({ code: 'INFOBIP_INVALID_ARGUMENT' });
    expect(fx.emulator.stats.requests()).toEqual({});
  });
});

describe('Number Lookup', () => {
  it('queries numbers and parses network, status and error', async () => {
    const res = await fx.client.lookupNumbers(['+41793020000', '+41793020006', '+41793020007']);
    expect(res.results.map((r) => r.to)).toEqual(['41793020000', '41793020006', '41793020007']);
    expect(res.results[0]).toMatchObject({
      status: { groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' },
      error: { id: 0 },
      originalNetwork: { countryName: 'Switzerland' },
    });
    expect(res.results[1]?.error).toMatchObject({ name: 'EC_TELESERVICE_NOT_PROVISIONED', permanent: true });
    expect(res.results[2]?.ported).toBe(true);
  });
});
