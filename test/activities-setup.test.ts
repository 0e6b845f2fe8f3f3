/**
 * `ensureApplication` against the emulator: creates what is missing, updates what differs,
 * changes nothing on a second run, reports without changing in a dry run, and leaves Infobip
 * in a state where the activities find every declared template.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import { ensureApplication } from '../setup/applications';
import { freshNumber, sampleDeclaration, startInfobip, type InfobipFixture } from './kits/infobip';
import type { ApplicationDeclaration } from '../config/types';

let fx: InfobipFixture;
beforeAll(async () => {
  fx = await startInfobip();
});
afterAll(async () => {
  await fx?.close();
});

const writes = () =>
  Object.entries(fx.emulator.stats.requests())
    .filter(([op]) => !op.startsWith('GET '))
    .reduce((n, [, c]) => n + c, 0);

describe('ensureApplication', () => {
  it('creates the application and every template, then a second run changes nothing', async () => {
    const decl = sampleDeclaration('setup-fresh');
    const first = await ensureApplication(fx.client, decl);
    expect(first.applicationId).toMatch(/\S/);
    expect(first.changes.map((c) => `${c.action} ${c.target} ${c.name}`)).toEqual([
      'CREATE APPLICATION setup-fresh',
      'CREATE TEMPLATE SMS/en',
      'CREATE TEMPLATE SMS/de',
      'CREATE TEMPLATE VOICE/en',
      'CREATE TEMPLATE EMAIL/en',
    ]);
    const app = await fx.client.getApplication(first.applicationId ?? '');
    expect(app.configuration).toMatchObject(decl.infobip);
    const templates = await fx.client.listMessageTemplates(first.applicationId ?? '');
    expect(templates).toHaveLength(4);
    expect(templates.find((t) => t.messageId === first.templates['VOICE/en'])).toMatchObject({
      voiceName: 'Joanna',
      repeatDTMF: '1#',
      pinLength: 6,
    });

    fx.emulator.stats.reset();
    const second = await ensureApplication(fx.client, decl);
    expect(second.changes).toEqual([]);
    expect(second.applicationId).toBe(first.applicationId);
    expect(second.templates).toEqual(first.templates);
    expect(writes()).toBe(0);
  });

  it('updates the configuration and a changed template in place, keeping its messageId', async () => {
    const decl = sampleDeclaration('setup-change');
    const first = await ensureApplication(fx.client, decl);
    const changed: ApplicationDeclaration = structuredClone(decl);
    changed.infobip.pinAttempts = 9;
    changed.enabled = false;
    changed.templates.sms = {
      ...changed.templates.sms,
      de: { messageText: 'Neu: {{pin}}', senderId: 'otpflow' },
    };
    const second = await ensureApplication(fx.client, changed);
    expect(second.changes).toEqual([
      expect.objectContaining({
        target: 'APPLICATION',
        action: 'UPDATE',
        fields: ['enabled', 'configuration.pinAttempts'],
      }),
      expect.objectContaining({
        target: 'TEMPLATE',
        action: 'UPDATE',
        name: 'SMS/de',
        fields: ['messageText'],
      }),
    ]);
    expect(second.templates['SMS/de']).toBe(first.templates['SMS/de']);
    const tpl = await fx.client.getMessageTemplate(
      second.applicationId ?? '',
      second.templates['SMS/de'] ?? '',
    );
    expect(tpl.messageText).toBe('Neu: {{pin}}');
    expect((await ensureApplication(fx.client, changed)).changes).toEqual([]);
  });

  it('reports in a dry run without writing anything', async () => {
    fx.emulator.stats.reset();
    const decl = sampleDeclaration('setup-dry');
    const dry = await ensureApplication(fx.client, decl, { dryRun: true });
    expect(dry.applicationId).toBeUndefined();
    expect(dry.changes).toHaveLength(5);
    expect(writes()).toBe(0);

    await ensureApplication(fx.client, decl);
    const changed = structuredClone(decl);
    changed.templates.email = { en: { emailTemplateId: 999, from: 'codes@otpflow.test' } };
    fx.emulator.stats.reset();
    const dry2 = await ensureApplication(fx.client, changed, { dryRun: true });
    expect(dry2.changes).toEqual([
      expect.objectContaining({
        target: 'TEMPLATE',
        action: 'UPDATE',
        name: 'EMAIL/en',
        fields: ['emailTemplateId'],
      }),
    ]);
    expect(writes()).toBe(0);
  });

  it('shares one template between identical declarations', async () => {
    const decl = sampleDeclaration('setup-shared', {
      templates: {
        sms: { en: { messageText: 'Code {{pin}}' } },
        voice: { en: { messageText: 'Code {{pin}}' } },
      },
    });
    const first = await ensureApplication(fx.client, decl);
    expect(first.changes.filter((c) => c.target === 'TEMPLATE')).toHaveLength(1);
    expect(first.templates['SMS/en']).toBe(first.templates['VOICE/en']);
    expect((await ensureApplication(fx.client, decl)).changes).toEqual([]);
  });

  it('leaves Infobip so that a send finds the declared template for each channel and language', async () => {
    const decl = sampleDeclaration('setup-send');
    const { templates } = await ensureApplication(fx.client, decl);
    const acts = createActivities({ infobip: fx.client, applications: [decl] });
    const env = new MockActivityEnvironment();
    const to = freshNumber();
    await env.run(() =>
      acts.sendPin({
        application: decl.name,
        channel: 'SMS',
        to,
        language: 'de',
        placeholders: { name: 'Shop' },
      }),
    );
    await env.run(() => acts.sendPin({ application: decl.name, channel: 'VOICE', to, language: 'fr' }));
    await env.run(() => acts.sendPin({ application: decl.name, channel: 'EMAIL', to: 'p@example.com' }));
    const [voice, sms] = fx.emulator.inbox.messages(to);
    expect(sms).toMatchObject({ channel: 'SMS', messageId: templates['SMS/de'], from: 'otpflow' });
    expect(sms?.text).toBe(`Ihr Shop Code lautet ${sms?.pin}`);
    // French is not declared for voice: the default language serves.
    expect(voice).toMatchObject({ channel: 'VOICE', messageId: templates['VOICE/en'] });
    // Voice declared only in German, default English: German serves.
    const deOnly = sampleDeclaration('setup-de-voice');
    deOnly.templates.voice = { de: { messageText: 'Ihr Code {{pin}}' } };
    const deSetup = await ensureApplication(fx.client, deOnly);
    const deActs = createActivities({ infobip: fx.client, applications: [deOnly] });
    const deTo = freshNumber();
    await env.run(() => deActs.sendPin({ application: deOnly.name, channel: 'VOICE', to: deTo }));
    expect(fx.emulator.inbox.latest(deTo)).toMatchObject({ messageId: deSetup.templates['VOICE/de'] });
    expect(fx.emulator.inbox.latest('p@example.com')).toMatchObject({
      channel: 'EMAIL',
      messageId: templates['EMAIL/en'],
    });
  });
});
