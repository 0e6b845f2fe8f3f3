/**
 * The hand-written types of `infobip/types.ts` against Infobip's OpenAPI documents: every
 * request body the client puts on the wire validates against its operation's request schema
 * (tightened: no property the schema does not name), and every answer the client parses from
 * the emulator validates against the response schema.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInfobipClient,
  type InfobipClient,
  type MessageTemplateRequest,
  type SendPinRequest,
} from '../infobip';
import { OpenApiValidator, OPENAPI_DIR } from './kits/emulator';
import { matchRoute } from '../emulator/routes';
import { freshNumber, startInfobip, TEST_API_KEY, type InfobipFixture } from './kits/infobip';

type Json = Record<string, unknown>;

/** Request-body validators per `METHOD template`, from the OpenAPI documents. */
function requestValidators(): (method: string, template: string) => ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  const docs: Array<{ id: string; doc: Json }> = [];
  const tighten = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(tighten);
    if (!node || typeof node !== 'object') return;
    const obj = node as Json;
    if (obj.properties && obj.type === 'object' && obj.additionalProperties === undefined)
      obj.additionalProperties = false;
    Object.values(obj).forEach(tighten);
  };
  for (const file of ['2fa.json', 'number-lookup.json']) {
    const doc = JSON.parse(readFileSync(path.join(OPENAPI_DIR, file), 'utf8')) as Json;
    tighten(doc.components);
    ajv.addSchema(doc, file);
    docs.push({ id: file, doc });
  }
  const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  return (method, template) => {
    for (const { id, doc } of docs) {
      const op = ((doc.paths as Json)[template] as Json | undefined)?.[method.toLowerCase()] as
        Json | undefined;
      if (!op?.requestBody) continue;
      return ajv.compile({
        $ref: `${id}#/paths/${esc(template)}/${method.toLowerCase()}/requestBody/content/application~1json/schema`,
      });
    }
    throw new Error(`${method} ${template} has no documented request body`);
  };
}

interface Captured {
  method: string;
  template: string;
  body: unknown;
  query: string;
}

let fx: InfobipFixture;
let client: InfobipClient;
let agent: Dispatcher;
const captured: Captured[] = [];
const responses = new OpenApiValidator();
const requestSchema = requestValidators();

beforeAll(async () => {
  fx = await startInfobip();
  // Records what the client writes, as the wire sees it.
  agent = new Agent().compose((dispatch) => (opts, handler) => {
    const [pathname = '', query = ''] = opts.path.split('?');
    const template = matchRoute(opts.method, pathname).template ?? pathname;
    captured.push({
      method: opts.method,
      template,
      body: typeof opts.body === 'string' ? JSON.parse(opts.body) : undefined,
      query,
    });
    return dispatch(opts, handler);
  });
  client = createInfobipClient({ baseUrl: fx.emulator.url, apiKey: TEST_API_KEY, dispatcher: agent });
});
afterAll(async () => {
  await agent?.close();
  await fx?.close();
});

/** Runs every operation with every field the types allow; returns what each call parsed. */
async function exerciseEveryOperation(): Promise<
  Array<{ method: string; template: string; answer: unknown }>
> {
  const out: Array<{ method: string; template: string; answer: unknown }> = [];
  const rec = async <T>(method: string, template: string, p: Promise<T>): Promise<T> => {
    const answer = await p;
    out.push({ method, template, answer });
    return answer;
  };
  const app = await rec(
    'POST',
    '/2fa/2/applications',
    client.createApplication({
      name: 'schema',
      enabled: true,
      configuration: {
        pinAttempts: 5,
        allowMultiplePinVerifications: false,
        pinTimeToLive: '10m',
        verifyPinLimit: '2/1s',
        sendPinPerApplicationLimit: '1000/1d',
        sendPinPerPhoneNumberLimit: '5/1h',
      },
    }),
  );
  const appId = app.applicationId;
  await rec('GET', '/2fa/2/applications', client.listApplications());
  await rec('GET', '/2fa/2/applications/{appId}', client.getApplication(appId));
  await rec(
    'PUT',
    '/2fa/2/applications/{appId}',
    client.updateApplication(appId, {
      name: 'schema',
      enabled: true,
      configuration: { pinAttempts: 6, sendPinPerPhoneNumberLimit: '20/1h' },
    }),
  );
  const full: MessageTemplateRequest = {
    messageText: 'Code {{pin}}',
    pinType: 'ALPHANUMERIC',
    pinLength: 6,
    senderId: 'otpflow',
    language: 'de',
    voiceName: 'Hans',
    repeatDTMF: '1#',
    speechRate: 1.2,
    regional: { indiaDlt: { principalEntityId: 'P1', contentTemplateId: 'C1', teleMarketerId: 'T1' } },
  };
  const tpl = await rec(
    'POST',
    '/2fa/2/applications/{appId}/messages',
    client.createMessageTemplate(appId, full),
  );
  await rec('GET', '/2fa/2/applications/{appId}/messages', client.listMessageTemplates(appId));
  await rec(
    'GET',
    '/2fa/2/applications/{appId}/messages/{msgId}',
    client.getMessageTemplate(appId, tpl.messageId),
  );
  await rec(
    'PUT',
    '/2fa/2/applications/{appId}/messages/{msgId}',
    client.updateMessageTemplate(appId, tpl.messageId, { ...full, pinType: 'NUMERIC' }),
  );
  const email = await rec(
    'POST',
    '/2fa/2/applications/{appId}/email/messages',
    client.createEmailTemplate(appId, {
      emailTemplateId: 7,
      from: 'a@otpflow.test',
      landingPageId: 'L',
      pinType: 'NUMERIC',
      pinLength: 6,
    }),
  );
  await rec(
    'PUT',
    '/2fa/2/applications/{appId}/email/messages/{msgId}',
    client.updateEmailTemplate(appId, email.messageId, {
      emailTemplateId: 8,
      from: 'b@otpflow.test',
      landingPageId: 'L2',
      pinType: 'HEX',
      pinLength: 5,
    }),
  );

  const to = freshNumber();
  const send: SendPinRequest = {
    applicationId: appId,
    messageId: tpl.messageId,
    to,
    from: 'otpflow',
    placeholders: { name: 'x' },
    trackDelivery: true,
  };
  const sms = await rec('POST', '/2fa/2/pin', client.sendSmsPin(send, { ncNeeded: true }));
  const voice = await rec('POST', '/2fa/2/pin/voice', client.sendVoicePin(send));
  const mail = await rec(
    'POST',
    '/2fa/2/pin/email',
    client.sendEmailPin({
      applicationId: appId,
      messageId: email.messageId,
      to: 'p@example.com',
      from: 'c@otpflow.test',
      placeholders: { name: 'x' },
      landingPagePlaceholders: { k: 'v' },
    }),
  );
  await rec(
    'POST',
    '/2fa/2/pin/{pinId}/resend',
    client.resendSmsPin(sms.pinId, { placeholders: { name: 'y' }, trackDelivery: true }),
  );
  await rec(
    'POST',
    '/2fa/2/pin/{pinId}/resend/voice',
    client.resendVoicePin(voice.pinId, { placeholders: { name: 'y' }, trackDelivery: false }),
  );
  await rec(
    'POST',
    '/2fa/2/pin/{pinId}/resend/email',
    client.resendEmailPin(mail.pinId, { placeholders: { name: 'y' }, landingPagePlaceholders: { k: 'w' } }),
  );
  await rec('POST', '/2fa/2/pin/{pinId}/verify', client.verifyPin(sms.pinId, 'ZZZZZZ'));
  await rec(
    'GET',
    '/2fa/2/applications/{appId}/verifications',
    client.getVerificationStatus(appId, { msisdn: to, verified: false, sent: true }),
  );
  await rec('POST', '/number/1/query', client.lookupNumbers([to, '+41793020006']));
  return out;
}

describe('Infobip types against the OpenAPI documents', () => {
  let answers: Awaited<ReturnType<typeof exerciseEveryOperation>>;
  beforeAll(async () => {
    answers = await exerciseEveryOperation();
  });

  it('every request body the client sends validates against its request schema', () => {
    const withBody = captured.filter((c) => c.body !== undefined);
    expect(withBody.length).toBeGreaterThanOrEqual(14);
    for (const c of withBody) {
      const validate = requestSchema(c.method, c.template);
      expect(validate(c.body), `${c.method} ${c.template}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('a misspelt field would fail the request check', () => {
    const validate = requestSchema('POST', '/2fa/2/pin');
    expect(validate({ applicationId: 'A', messageId: 'M', to: '41793026727', placeholder: {} })).toBe(false);
  });

  it('sends numbers as digits and query flags as the API names them', () => {
    const sms = captured.find((c) => c.template === '/2fa/2/pin');
    expect((sms?.body as { to: string }).to).toMatch(/^\d+$/);
    expect(sms?.query).toBe('ncNeeded=true');
    const status = captured.find((c) => c.template === '/2fa/2/applications/{appId}/verifications');
    expect(new URLSearchParams(status?.query).get('msisdn')).toMatch(/^\d+$/);
    expect(new URLSearchParams(status?.query).get('sent')).toBe('true');
  });

  it('tracked sends and resends answer with an externalMessageId, untracked ones without', () => {
    const answer = (template: string) =>
      answers.find((a) => a.template === template)?.answer as { externalMessageId?: string };
    expect(answer('/2fa/2/pin').externalMessageId).toEqual(expect.any(String));
    expect(answer('/2fa/2/pin/voice').externalMessageId).toEqual(expect.any(String));
    expect(answer('/2fa/2/pin/{pinId}/resend').externalMessageId).toEqual(expect.any(String));
    expect(answer('/2fa/2/pin/{pinId}/resend/voice').externalMessageId).toBeUndefined();
    const bodies = captured.filter((c) => c.template.startsWith('/2fa/2/pin') && c.body !== undefined);
    expect(bodies.filter((c) => (c.body as { trackDelivery?: boolean }).trackDelivery === true)).toHaveLength(
      3,
    );
  });

  it('every answer the client parsed validates against its response schema', () => {
    expect(answers).toHaveLength(19);
    for (const a of answers) {
      const status = a.method === 'POST' && a.template === '/2fa/2/applications' ? 201 : 200;
      expect(() => responses.assertValid(a.method, a.template, status, a.answer)).not.toThrow();
    }
  });
});
