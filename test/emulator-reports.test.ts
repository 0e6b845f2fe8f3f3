/**
 * Delivery reports of the emulator over real HTTP on loopback: tracked sends and resends get
 * an `externalMessageId` and reports pushed to the subscription URL (Basic-authenticated), one
 * outcome per test number, Infobip's retry cycle on failed pushes (shortened), duplicates and
 * out-of-order reports, fault rules that drop or delay pushes, the control endpoints and the
 * inbox's live delivery status. Send answers are checked against Infobip's OpenAPI schemas by
 * `emulatorClient`; report bodies against schemas written from Infobip's report documentation.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import Ajv from 'ajv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createEmulator,
  deliveryTestNumber,
  retryDelayMs,
  testNumber,
  EmulatorConfigError,
  type DeliveryOutcome,
  type Emulator,
} from '../emulator';
import {
  createAppWithTemplate,
  emulatorClient,
  startReportReceiver,
  type EmulatorClient,
  type ReportReceiver,
} from './kits/emulator';
import { runEmulatorCli, EmulatorCliError } from '../emulator/cli';
import { parseDeliveryReports } from '../infobip';

const CREDENTIALS = { username: 'infobip-reports', password: 's3cret:with-colon' };
const BASIC = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}`;

let emu: Emulator;
let api: EmulatorClient;
let receiver: ReportReceiver;
let ids: { applicationId: string; messageId: string };

beforeAll(async () => {
  receiver = await startReportReceiver();
  emu = await createEmulator({
    managementLimits: false,
    reports: {
      subscription: { url: `${receiver.url}/infobip/reports`, basic: CREDENTIALS },
      delayMs: 20,
      lateDelayMs: 150,
      retryTimeScale: 0.0005, // retry 1 after 60 ms, retry 2 after 150 ms, …
    },
  });
  api = emulatorClient(emu.url);
  ids = await createAppWithTemplate(api, { sendPinPerPhoneNumberLimit: '100/1d' });
});
afterAll(async () => {
  await emu?.close();
  await receiver?.close();
});
afterEach(async () => {
  emu.faults.clear();
  receiver.answerWith(() => 200);
  emu.reports.subscribe({ url: `${receiver.url}/infobip/reports`, basic: CREDENTIALS });
  await emu.reports.idle();
});

// Schemas of Infobip's documented report bodies ("Receive outbound SMS message report" and the
// Voice API report): every field named, nothing else allowed, so a misspelt field fails.
const statusSchema = {
  type: 'object',
  required: ['groupId', 'groupName', 'id', 'name', 'description'],
  additionalProperties: false,
  properties: {
    groupId: { type: 'integer', minimum: 1, maximum: 5 },
    groupName: { enum: ['PENDING', 'UNDELIVERABLE', 'DELIVERED', 'EXPIRED', 'REJECTED'] },
    id: { type: 'integer' },
    name: { type: 'string' },
    description: { type: 'string' },
  },
};
const errorSchema = {
  type: 'object',
  required: ['groupId', 'groupName', 'id', 'name', 'description', 'permanent'],
  additionalProperties: false,
  properties: {
    groupId: { type: 'integer' },
    groupName: { type: 'string' },
    id: { type: 'integer' },
    name: { type: 'string' },
    description: { type: 'string' },
    permanent: { type: 'boolean' },
  },
};
const TIME = { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d{4}$' };
const common = {
  bulkId: { type: 'string' },
  messageId: { type: 'string', minLength: 1 },
  to: { type: 'string', pattern: '^\\d+$' },
  from: { type: 'string' },
  sentAt: TIME,
  doneAt: TIME,
  mccMnc: { type: 'string' },
  callbackData: { type: 'string' },
  status: statusSchema,
  error: errorSchema,
};
const smsReport = {
  type: 'object',
  required: ['messageId', 'to', 'sentAt', 'status', 'error', 'price', 'smsCount'],
  additionalProperties: false,
  properties: {
    ...common,
    smsCount: { type: 'integer', minimum: 1 },
    price: {
      type: 'object',
      additionalProperties: false,
      properties: { pricePerMessage: { type: 'number' }, currency: { type: 'string' } },
    },
    entityId: { type: 'string' },
    applicationId: { type: 'string' },
  },
};
const voiceReport = {
  type: 'object',
  required: ['messageId', 'to', 'sentAt', 'status', 'error', 'price', 'voiceCall'],
  additionalProperties: false,
  properties: {
    ...common,
    voiceCall: {
      type: 'object',
      required: ['feature', 'startTime'],
      additionalProperties: false,
      properties: {
        feature: { type: 'string' },
        startTime: TIME,
        answerTime: TIME,
        endTime: TIME,
        duration: { type: 'integer', minimum: 0 },
        chargedDuration: { type: 'integer', minimum: 0 },
        fileDuration: { type: 'number' },
        dtmfCodes: { type: 'string' },
      },
    },
    price: {
      type: 'object',
      additionalProperties: false,
      properties: { pricePerSecond: { type: 'number' }, currency: { type: 'string' } },
    },
  },
};
const ajv = new Ajv({ allErrors: true });
const validBody = ajv.compile({
  type: 'object',
  required: ['results'],
  additionalProperties: false,
  properties: { results: { type: 'array', minItems: 1, items: { oneOf: [smsReport, voiceReport] } } },
});

/** Every body received so far validates; returns the reports (parsed by the product's parser) for a message. */
function reportsFor(messageId: string) {
  for (const r of receiver.received)
    expect(validBody(r.body), `${JSON.stringify(r.body)}\n${ajv.errorsText(validBody.errors)}`).toBe(true);
  return receiver.received
    .flatMap((r) => parseDeliveryReports(r.body))
    .filter((report) => report.messageId === messageId);
}

async function send(channel: 'SMS' | 'VOICE', to: string, extra: Record<string, unknown> = {}) {
  const path = channel === 'SMS' ? '/2fa/2/pin' : '/2fa/2/pin/voice';
  const res = await api.post(path, { ...ids, to, trackDelivery: true, ...extra });
  expect(res.status).toBe(200);
  return res.body as { pinId: string; externalMessageId?: string; smsStatus?: string };
}

describe('tracked sends', () => {
  it('answer with an externalMessageId and push one DELIVERED report, Basic-authenticated', async () => {
    const to = deliveryTestNumber('DELIVERED');
    const sms = await send('SMS', to);
    expect(sms.externalMessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await emu.reports.idle();
    const [report, ...more] = reportsFor(sms.externalMessageId as string);
    expect(more).toEqual([]);
    expect(report).toMatchObject({ to, channel: 'SMS', group: 'DELIVERED', final: true, permanent: false });
    expect(report?.status.name).toBe('DELIVERED_TO_HANDSET');
    expect(report?.doneAtMs).toBeGreaterThanOrEqual(report?.sentAtMs ?? Infinity);
    const push = receiver.received.find((r) => r.body.results[0].messageId === sms.externalMessageId);
    expect(push?.path).toBe('/infobip/reports');
    expect(push?.headers.authorization).toBe(BASIC);
    expect(push?.headers['content-type']).toBe('application/json');
  });

  it('untracked sends get no externalMessageId, no delivery status and no report', async () => {
    const to = deliveryTestNumber('DELIVERED');
    const before = receiver.received.length;
    const res = await api.post('/2fa/2/pin', { ...ids, to });
    expect(res.body.externalMessageId).toBeUndefined();
    const voice = await api.post('/2fa/2/pin/voice', { ...ids, to, trackDelivery: false });
    expect(voice.body.externalMessageId).toBeUndefined();
    await emu.reports.idle();
    expect(receiver.received.length).toBe(before);
    expect(emu.inbox.messages(to).map((m) => m.delivery)).toEqual([undefined, undefined]);
    expect(emu.reports.pushes({ to })).toEqual([]);
  });

  it('voice reports carry the call (voiceCall, price per second) and NORMAL_HANGUP', async () => {
    const to = deliveryTestNumber('DELIVERED');
    const voice = await send('VOICE', to);
    await emu.reports.idle();
    const [report] = reportsFor(voice.externalMessageId as string);
    expect(report).toMatchObject({ channel: 'VOICE', group: 'DELIVERED', final: true });
    expect(report?.error?.name).toBe('NORMAL_HANGUP');
    const raw = report?.raw as any;
    expect(raw.voiceCall).toMatchObject({ feature: 'Voice-message', duration: expect.any(Number) });
    expect(raw.voiceCall.answerTime).toEqual(expect.any(String));
    expect(raw.price).toEqual({ pricePerSecond: 0.01, currency: 'EUR' });
  });

  it('an SMS not sent (number not reachable) has no externalMessageId and no report', async () => {
    const res = await api.post('/2fa/2/pin', {
      ...ids,
      to: testNumber('UNKNOWN_SUBSCRIBER'),
      trackDelivery: true,
    });
    expect(res.body).toMatchObject({ smsStatus: 'MESSAGE_NOT_SENT' });
    expect(res.body.externalMessageId).toBeUndefined();
  });

  it('rejects a trackDelivery that is not a boolean', async () => {
    const res = await api.post('/2fa/2/pin', {
      ...ids,
      to: deliveryTestNumber('DELIVERED'),
      trackDelivery: 'yes',
    });
    expect(res.status).toBe(400);
    expect(res.body.requestError.serviceException.validationErrors).toEqual({
      trackDelivery: ['must be a boolean'],
    });
  });
});

describe('outcomes by test number', () => {
  const cases: Array<[DeliveryOutcome, string[], string | undefined, boolean]> = [
    ['DELIVERED', ['DELIVERED'], 'NO_ERROR', false],
    ['DELIVERED_LATE', ['DELIVERED'], 'NO_ERROR', false],
    ['UNDELIVERABLE_ABSENT', ['UNDELIVERABLE'], 'EC_ABSENT_SUBSCRIBER', false],
    ['UNDELIVERABLE_PERMANENT', ['UNDELIVERABLE'], 'EC_ILLEGAL_SUBSCRIBER', true],
    ['REJECTED', ['REJECTED'], 'NO_ERROR', false],
    ['EXPIRED', ['EXPIRED'], 'EC_ABSENT_SUBSCRIBER', false],
    ['NO_REPORT', [], undefined, false],
    ['DUPLICATE', ['DELIVERED', 'DELIVERED'], 'NO_ERROR', false],
    ['OUT_OF_ORDER', ['DELIVERED', 'PENDING'], 'NO_ERROR', false],
  ];
  it.each(cases)('%s: reports %j', async (outcome, groups, errorName, permanent) => {
    const to = deliveryTestNumber(outcome);
    expect(to.slice(-4)).toMatch(outcome === 'DELIVERED' ? /^(?!00)/ : /^002[1-8]$/);
    const sms = await send('SMS', to);
    await emu.reports.idle();
    const reports = reportsFor(sms.externalMessageId as string);
    expect(reports.map((r) => r.group)).toEqual(groups);
    if (errorName) expect(reports[0]?.error?.name).toBe(errorName);
    if (groups.length > 0) expect(reports[0]?.permanent).toBe(permanent);
    if (outcome === 'DELIVERED_LATE' || outcome === 'EXPIRED') {
      // Played out after the late delay (150 ms here), not the normal one (20 ms).
      expect((reports[0]?.doneAtMs ?? 0) - (reports[0]?.sentAtMs ?? 0)).toBeGreaterThanOrEqual(140);
    }
    // The inbox shows the final status even when no report is pushed.
    const finalGroup = outcome === 'NO_REPORT' ? 'DELIVERED' : groups[0];
    expect(emu.inbox.latest(to)?.delivery).toMatchObject({ status: finalGroup, outcome });
  });

  it('a duplicate is the same body twice; the stale PENDING of an out-of-order pair has no doneAt', async () => {
    const dup = await send('SMS', deliveryTestNumber('DUPLICATE'));
    const ooo = await send('SMS', deliveryTestNumber('OUT_OF_ORDER'));
    await emu.reports.idle();
    const [a, b] = reportsFor(dup.externalMessageId as string);
    expect(b?.raw).toEqual(a?.raw);
    const [delivered, pending] = reportsFor(ooo.externalMessageId as string);
    expect(delivered?.final).toBe(true);
    expect(pending).toMatchObject({ group: 'PENDING', final: false, doneAtMs: undefined });
    expect(emu.reports.pushes({ messageId: ooo.externalMessageId }).map((p) => p.kind)).toEqual([
      'REPORT',
      'STALE_PENDING',
    ]);
  });

  it('lookup test numbers deliver as their lookup says; a number without SMS answers calls', async () => {
    const noSms = testNumber('NO_SMS');
    const sms = await send('SMS', noSms, {});
    expect(sms.smsStatus).toBe('MESSAGE_NOT_SENT'); // ncNeeded (default) stops it
    const forced = await api.post('/2fa/2/pin?ncNeeded=false', { ...ids, to: noSms, trackDelivery: true });
    const voice = await send('VOICE', noSms);
    const absent = await send('SMS', testNumber('ABSENT'));
    await emu.reports.idle();
    expect(reportsFor(forced.body.externalMessageId)[0]).toMatchObject({
      group: 'UNDELIVERABLE',
      permanent: true,
      error: { name: 'EC_TELESERVICE_NOT_PROVISIONED' },
    });
    expect(reportsFor(voice.externalMessageId as string)[0]?.group).toBe('DELIVERED');
    expect(reportsFor(absent.externalMessageId as string)[0]).toMatchObject({
      group: 'UNDELIVERABLE',
      permanent: false,
    });
  });

  it('random test numbers never fall in the reserved 00xx block', () => {
    for (let i = 0; i < 300; i++) {
      expect(testNumber().slice(-4)).not.toMatch(/^00/);
      expect(deliveryTestNumber('DELIVERED').slice(-4)).not.toMatch(/^00/);
    }
    expect(() => deliveryTestNumber('UNDELIVERABLE_NO_SMS')).toThrow(/testNumber/);
  });
});

describe('resends', () => {
  it('a tracked resend gets its own externalMessageId and report; a voice resend of an SMS PIN is allowed', async () => {
    const to = deliveryTestNumber('DELIVERED');
    const first = await send('SMS', to);
    const again = await api.post(`/2fa/2/pin/${first.pinId}/resend`, { trackDelivery: true });
    const call = await api.post(`/2fa/2/pin/${first.pinId}/resend/voice`, { trackDelivery: true });
    const quiet = await api.post(`/2fa/2/pin/${first.pinId}/resend`, {});
    expect(again.status).toBe(200);
    expect(call.status).toBe(200);
    const mids = [first.externalMessageId, again.body.externalMessageId, call.body.externalMessageId];
    expect(new Set(mids).size).toBe(3);
    expect(quiet.body.externalMessageId).toBeUndefined();
    await emu.reports.idle();
    expect(reportsFor(again.body.externalMessageId)[0]?.channel).toBe('SMS');
    expect(reportsFor(call.body.externalMessageId)[0]).toMatchObject({
      channel: 'VOICE',
      group: 'DELIVERED',
    });
    // The same PIN went out three times (plus the untracked resend).
    const pins = new Set(emu.inbox.messages(to).map((m) => m.pin));
    expect(pins.size).toBe(1);
  });

  it('e-mail sends and resends are never tracked (trackDelivery is not an e-mail field)', async () => {
    const tpl = await api.post(`/2fa/2/applications/${ids.applicationId}/email/messages`, {
      emailTemplateId: 1,
    });
    const address = `reports-${Date.now()}@example.com`;
    const mail = await api.post('/2fa/2/pin/email', {
      applicationId: ids.applicationId,
      messageId: tpl.body.messageId,
      to: address,
      trackDelivery: true,
    });
    expect(mail.status).toBe(200);
    const again = await api.post(`/2fa/2/pin/${mail.body.pinId}/resend/email`, { trackDelivery: true });
    expect(again.status).toBe(200);
    await emu.reports.idle();
    expect(emu.inbox.messages(address).map((m) => [m.externalMessageId, m.delivery])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
  });
});

describe('pushes: retries, authentication, subscription', () => {
  it('follows the retry cycle 1 min + 1 min·n² (scaled) after non-2xx answers until one is accepted', async () => {
    expect([1, 2, 3, 20].map((n) => retryDelayMs(n))).toEqual([120_000, 300_000, 600_000, 24_060_000]);
    expect(retryDelayMs(2, 0.001)).toBe(300);
    const failing = new Set<string>();
    receiver.answerWith(({ n }) => {
      const key = String(n);
      return failing.size < 2 && !failing.has(key) ? (failing.add(key), 503) : 200;
    });
    const sms = await send('SMS', deliveryTestNumber('DELIVERED'));
    await emu.reports.idle();
    const [push] = emu.reports.pushes({ messageId: sms.externalMessageId });
    expect(push).toMatchObject({ state: 'DELIVERED', attempts: 3, lastHttpStatus: 200 });
    expect(push?.history.map((h) => h.httpStatus)).toEqual([503, 503, 200]);
    const at = push?.history.map((h) => Date.parse(h.at)) ?? [];
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(retryDelayMs(1, 0.0005) - 5);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(retryDelayMs(2, 0.0005) - 5);
    // Three pushes of the same report reached the receiver.
    expect(reportsFor(sms.externalMessageId as string)).toHaveLength(3);
  });

  it('gives a push up after maxRetries failures (network errors count), and says so', async () => {
    const local = await createEmulator({
      managementLimits: false,
      reports: {
        subscription: { url: 'http://127.0.0.1:9/nobody-listens' },
        delayMs: 0,
        retryTimeScale: 0.0001,
        maxRetries: 2,
      },
    });
    try {
      const c = emulatorClient(local.url);
      const app = await createAppWithTemplate(c);
      const res = await c.post('/2fa/2/pin', {
        ...app,
        to: deliveryTestNumber('DELIVERED'),
        trackDelivery: true,
      });
      await local.reports.idle();
      const [push] = local.reports.pushes();
      expect(push).toMatchObject({ state: 'FAILED', attempts: 3, messageId: res.body.externalMessageId });
      expect(push?.lastError).toMatch(/ECONNREFUSED/);
      expect(push?.history.every((h) => h.httpStatus === undefined)).toBe(true);
    } finally {
      await local.close();
    }
  });

  it('pushes without Authorization when the subscription has no credentials; drops reports without a subscription', async () => {
    emu.reports.subscribe({ url: `${receiver.url}/open` });
    const open = await send('SMS', deliveryTestNumber('DELIVERED'));
    await emu.reports.idle();
    const push = receiver.received.find((r) => r.body.results?.[0]?.messageId === open.externalMessageId);
    expect(push?.path).toBe('/open');
    expect(push?.headers.authorization).toBeUndefined();

    emu.reports.subscribe(undefined);
    const lost = await send('SMS', deliveryTestNumber('DELIVERED'));
    await emu.reports.idle();
    expect(reportsFor(lost.externalMessageId as string)).toEqual([]);
    expect(emu.reports.pushes({ messageId: lost.externalMessageId })).toMatchObject([
      { state: 'DROPPED', dropReason: 'no subscription', attempts: 0 },
    ]);
  });

  it('control endpoints set, show (without the password) and clear the subscription; list and clear pushes', async () => {
    const put = await fetch(`${emu.url}/emulator/subscription`, {
      method: 'PUT',
      body: JSON.stringify({ url: `${receiver.url}/ctl`, basic: { username: 'u', password: 'p' } }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({
      subscription: { url: `${receiver.url}/ctl`, basic: { username: 'u' } },
    });
    const sms = await send('SMS', deliveryTestNumber('DELIVERED'));
    await emu.reports.idle();
    const pushed = receiver.received.find((r) => r.body.results?.[0]?.messageId === sms.externalMessageId);
    expect(pushed?.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);

    const list = (await (
      await fetch(`${emu.url}/emulator/reports?messageId=${sms.externalMessageId}`)
    ).json()) as any;
    expect(list.reports).toMatchObject([
      { state: 'DELIVERED', attempts: 1, lastHttpStatus: 200, kind: 'REPORT' },
    ]);
    expect(list.reports[0].body.results[0].messageId).toBe(sms.externalMessageId);

    for (const [body, field] of [
      [{ url: 'ftp://x' }, 'url'],
      [{ url: `${receiver.url}/x`, basic: { username: 'a:b', password: 'p' } }, 'basic.username'],
      [{ url: `${receiver.url}/x`, basic: { username: 'a' } }, 'basic.password'],
    ] as const) {
      const bad = await fetch(`${emu.url}/emulator/subscription`, {
        method: 'PUT',
        body: JSON.stringify(body),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as any).requestError.serviceException.text).toContain(field);
    }
    const malformed = await fetch(`${emu.url}/emulator/subscription`, { method: 'PUT', body: '{' });
    expect(malformed.status).toBe(400);

    const del = await fetch(`${emu.url}/emulator/subscription`, { method: 'DELETE' });
    expect(await del.json()).toEqual({ subscription: null });
    expect(await (await fetch(`${emu.url}/emulator/subscription`)).json()).toEqual({ subscription: null });
    const cleared = await fetch(`${emu.url}/emulator/reports`, { method: 'DELETE' });
    expect(await cleared.json()).toEqual({ reports: [] });
    expect(emu.reports.pushes()).toEqual([]);
  });

  it('refuses malformed report options at start-up', async () => {
    await expect(createEmulator({ reports: { retryTimeScale: 0 } })).rejects.toBeInstanceOf(
      EmulatorConfigError,
    );
    await expect(createEmulator({ reports: { subscription: { url: 'not a url' } } })).rejects.toThrow(/url/);
    await expect(runEmulatorCli(['--report-url', 'ftp://x'])).rejects.toBeInstanceOf(EmulatorCliError);
    await expect(runEmulatorCli(['--report-basic', 'u:p'])).rejects.toThrow(/--report-url/);
    await expect(runEmulatorCli(['--report-url', 'http://x/', '--report-basic', 'nopass'])).rejects.toThrow(
      /USER:PASSWORD/,
    );
    await expect(runEmulatorCli(['--report-delay', 'soon'])).rejects.toThrow(/--report-delay/);
  });
});

describe('fault rules on pushes', () => {
  it('dropReport loses the report (no push, no retry); API rules never touch pushes', async () => {
    emu.faults.add({ match: { path: '/2fa/2/pin/{pinId}/verify' }, action: { reset: true } });
    emu.faults.add({ match: { report: true, path: '/infobip/*' }, times: 1, action: { dropReport: true } });
    const lost = await send('SMS', deliveryTestNumber('DELIVERED'));
    await emu.reports.idle();
    const kept = await send('SMS', deliveryTestNumber('DELIVERED'));
    await emu.reports.idle();
    expect(reportsFor(lost.externalMessageId as string)).toEqual([]);
    expect(emu.reports.pushes({ messageId: lost.externalMessageId })).toMatchObject([
      { state: 'DROPPED', dropReason: 'fault rule', attempts: 0 },
    ]);
    expect(reportsFor(kept.externalMessageId as string)).toHaveLength(1);
  });

  it('latencyMs delays a push, which then arrives; a path that does not match leaves pushes alone', async () => {
    emu.faults.add({ match: { report: true, path: '/elsewhere' }, action: { dropReport: true } });
    emu.faults.add({ match: { report: true }, times: 1, action: { latencyMs: 100 } });
    const sms = await send('SMS', deliveryTestNumber('DELIVERED'));
    await emu.reports.idle();
    const [push] = emu.reports.pushes({ messageId: sms.externalMessageId });
    expect(push).toMatchObject({ state: 'DELIVERED', attempts: 1 });
    const delivered = Date.parse(emu.inbox.latest(push?.to as string)?.delivery?.updatedAt as string);
    expect(Date.parse(push?.history[0]?.at as string) - delivered).toBeGreaterThanOrEqual(95);
    expect(emu.faults.list().map((r) => r.match?.path)).toEqual(['/elsewhere']);
  });

  it('validates report rules', async () => {
    const post = (rule: unknown) =>
      fetch(`${emu.url}/emulator/faults`, { method: 'POST', body: JSON.stringify(rule) }).then(async (r) => ({
        status: r.status,
        text: ((await r.json()) as any).requestError?.serviceException?.text as string,
      }));
    expect(await post({ match: { report: true }, action: { status: 500 } })).toMatchObject({
      status: 400,
      text: expect.stringContaining('report rule'),
    });
    expect(await post({ action: { dropReport: true } })).toMatchObject({
      status: 400,
      text: expect.stringContaining('match.report'),
    });
    expect(await post({ match: { report: 'yes' }, action: { latencyMs: 1 } })).toMatchObject({ status: 400 });
    expect((await post({ match: { report: true }, action: { dropReport: true } })).status).toBe(201);
  });
});

describe('inbox delivery status', () => {
  it('GET /emulator/messages and the SSE stream show each tracked message going from PENDING to its outcome', async () => {
    const controller = new AbortController();
    const events: Array<{ event: string; data: any }> = [];
    const res = await fetch(`${emu.url}/emulator/events`, { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const pump = (async () => {
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buf += Buffer.from(value as Uint8Array).toString('utf8');
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const chunk = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(chunk)?.[1];
          const data = /^data: (.*)$/m.exec(chunk)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    })();
    const to = deliveryTestNumber('UNDELIVERABLE_ABSENT');
    await send('SMS', to);
    await emu.reports.idle();
    const after = (await (await fetch(`${emu.url}/emulator/messages?to=%2B${to}`)).json()) as any;
    expect(after.messages[0].delivery).toMatchObject({
      status: 'UNDELIVERABLE',
      statusName: 'UNDELIVERABLE_NOT_DELIVERED',
      errorName: 'EC_ABSENT_SUBSCRIBER',
      outcome: 'UNDELIVERABLE_ABSENT',
    });
    const mine = events
      .filter((e) => e.event === 'delivery' && e.data.to === to)
      .map((e) => e.data.delivery.status);
    expect(mine).toEqual(['PENDING', 'UNDELIVERABLE']);
    controller.abort();
    await pump;
  });
});
