/**
 * Bad-input catalogue, the Infobip emulator: malformed, unauthorised and hostile requests get
 * Infobip's status and messageId; nothing crashes; applications, PINs, inbox and fault rules
 * are unchanged by the rejected requests.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../emulator';
import { runCatalogue, type Row } from './catalogue';
import { API_KEY, reportFigures } from './support';

let emulator: Emulator;
let appId: string;
let msgId: string;
let pinId: string;

beforeAll(async () => {
  emulator = await createEmulator({ apiKeys: [API_KEY], managementLimits: false });
  const app = await call('POST', '/2fa/2/applications', { name: 'catalogue', configuration: {} });
  appId = app.body.applicationId;
  const msg = await call('POST', `/2fa/2/applications/${appId}/messages`, {
    messageText: 'Code {{pin}}',
    pinType: 'NUMERIC',
    pinLength: 6,
  });
  msgId = msg.body.messageId;
  pinId = (await call('POST', '/2fa/2/pin', { applicationId: appId, messageId: msgId, to: '41793026727' }))
    .body.pinId;
});
afterAll(() => emulator?.close());

async function call(
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any }> {
  const res = await fetch(emulator.url + p, {
    method,
    headers: { authorization: `App ${API_KEY}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed };
}
/** Status and Infobip messageId of an emulator answer. */
const ib =
  (
    method: string,
    p: string | (() => string),
    body?: unknown | (() => unknown),
    headers?: Record<string, string>,
  ) =>
  async () => {
    const r = await call(
      method,
      typeof p === 'function' ? p() : p,
      typeof body === 'function' ? (body as () => unknown)() : body,
      headers,
    );
    return {
      status: r.status,
      messageId: r.body?.requestError?.serviceException?.messageId ?? r.body?.errorCode,
    };
  };
const send = (over: Record<string, unknown>) => () => ({
  applicationId: appId,
  messageId: msgId,
  to: '41793026728',
  ...over,
});

const rows: Row[] = [
  // The emulator: Infobip's status and messageId, as Infobip would answer.
  {
    surface: 'emulator',
    input: 'send PIN without Authorization',
    expected: { status: 401, messageId: 'UNAUTHORIZED' },
    run: ib('POST', '/2fa/2/pin', send({}), { authorization: '' }),
  },
  {
    surface: 'emulator',
    input: 'send PIN with a wrong API key',
    expected: { status: 401, messageId: 'UNAUTHORIZED' },
    run: ib('POST', '/2fa/2/pin', send({}), { authorization: `App ${API_KEY}x` }),
  },
  {
    surface: 'emulator',
    input: 'send PIN with malformed JSON',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', '/2fa/2/pin', '{"to": '),
  },
  {
    surface: 'emulator',
    input: 'send PIN for an unknown applicationId',
    expected: { status: 404, messageId: 'NOT_FOUND' },
    run: ib('POST', '/2fa/2/pin', send({ applicationId: 'F'.repeat(32) })),
  },
  {
    surface: 'emulator',
    input: 'send PIN to letters',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', '/2fa/2/pin', send({ to: 'four-one-seven' })),
  },
  {
    surface: 'emulator',
    input: 'send PIN to a number as JSON number',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', '/2fa/2/pin', send({ to: 41793026728 })),
  },
  {
    surface: 'emulator',
    input: 'send PIN with a 10,000-character to',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', '/2fa/2/pin', send({ to: '4'.repeat(10_000) })),
  },
  {
    surface: 'emulator',
    input: 'send PIN with placeholder "pin"',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', '/2fa/2/pin', send({ placeholders: { pin: '123456' } })),
  },
  {
    surface: 'emulator',
    input: 'verify an unknown pinId',
    expected: { status: 404, messageId: 'NOT_FOUND' },
    run: ib('POST', '/2fa/2/pin/UNKNOWN/verify', { pin: '123456' }),
  },
  {
    surface: 'emulator',
    input: 'verify with pin as a number',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', () => `/2fa/2/pin/${pinId}/verify`, { pin: 123456 }),
  },
  {
    surface: 'emulator',
    input: 'verify with no body',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', () => `/2fa/2/pin/${pinId}/verify`),
  },
  {
    surface: 'emulator',
    input: 'number lookup of 1,001 numbers',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', '/number/1/query', { to: Array.from({ length: 1_001 }, () => '41793026727') }),
  },
  {
    surface: 'emulator',
    input: 'number lookup with to a string',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', '/number/1/query', { to: '41793026727' }),
  },
  {
    surface: 'emulator',
    input: 'body over 1 MiB',
    expected: { status: 413, messageId: 'BAD_REQUEST' },
    run: ib('POST', '/2fa/2/pin', send({ placeholders: { name: 'x'.repeat(1_100_000) } })),
  },
  {
    surface: 'emulator',
    input: 'application with pinTimeToLive "forever"',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', '/2fa/2/applications', { name: 'bad', configuration: { pinTimeToLive: 'forever' } }),
  },
  {
    surface: 'emulator',
    input: 'template without {{pin}}',
    expected: { status: 400, messageId: 'BAD_REQUEST' },
    run: ib('POST', () => `/2fa/2/applications/${appId}/messages`, {
      messageText: 'Hello',
      pinType: 'NUMERIC',
    }),
  },
  {
    surface: 'emulator',
    input: 'DELETE an application (no such operation)',
    expected: { status: 404, messageId: 'NOT_FOUND' },
    run: ib('DELETE', () => `/2fa/2/applications/${appId}`),
  },
  {
    surface: 'emulator',
    input: 'path traversal in pinId',
    expected: { status: 404, messageId: 'NOT_FOUND' },
    run: ib('POST', '/2fa/2/pin/..%2F..%2Fetc%2Fpasswd/verify', { pin: '123456' }),
  },
  {
    surface: 'emulator',
    input: 'fault rule with two actions',
    expected: { status: 400 },
    run: ib('POST', '/emulator/faults', { action: { reset: true, latencyMs: 5 } }),
  },
];

it(`answers ${rows.length} malformed emulator requests precisely, changing nothing`, async () => {
  const apps = (await call('GET', '/2fa/2/applications')).body;
  const inbox = emulator.inbox.messages().length;
  const tried = await runCatalogue(rows);
  // The emulator still serves, with the same applications and inbox, and the PIN still verifies.
  expect((await call('GET', '/2fa/2/applications')).body).toEqual(apps);
  expect(emulator.inbox.messages()).toHaveLength(inbox);
  const pin = emulator.inbox.messages('41793026727')[0]!.pin;
  expect((await call('POST', `/2fa/2/pin/${pinId}/verify`, { pin })).body).toMatchObject({ verified: true });
  expect(emulator.faults.list()).toEqual([]);
  reportFigures('bad-input-emulator', { inputsTried: tried });
});
