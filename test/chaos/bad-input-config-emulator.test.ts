/**
 * Bad-input catalogue, part 1: the configuration file (and its environment) and the Infobip
 * emulator. Each input gets a precise error naming what is wrong; nothing crashes; the
 * emulator's state (applications, PINs, inbox) is unchanged by the rejected requests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { createEmulator, type Emulator } from '../../emulator';
import { testApplication } from '../../client/testing';
import { codeOf, runCatalogue, type Row } from './catalogue';
import { API_KEY, reportFigures } from './support';

const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-badcfg-'));
const env = { INFOBIP_API_KEY: 'k', OTPFLOW_DESTINATION_HASH_KEY: 'ab'.repeat(32) };
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
afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes an applications file; `mutate` breaks one thing in a valid declaration. */
function configFile(
  name: string,
  mutate: (file: { applications: Record<string, unknown>[] }) => unknown,
): string {
  const file = { applications: [testApplication('login') as unknown as Record<string, unknown>] };
  const content = mutate(file);
  const p = path.join(dir, `${name}.json`);
  // A mutator edits `file` in place, or returns a whole replacement: an object, or `{ raw }` text.
  const whole =
    typeof content === 'object' && content !== null ? (content as Record<string, unknown>) : undefined;
  const text =
    whole && 'raw' in whole
      ? String(whole.raw)
      : JSON.stringify(whole && 'applications' in whole ? whole : file);
  writeFileSync(p, text);
  return p;
}
const app0 = (f: { applications: Record<string, unknown>[] }) =>
  f.applications[0] as Record<string, Record<string, unknown>>;
const cfg =
  (name: string, mutate: Parameters<typeof configFile>[1], extraEnv: Record<string, string> = {}) =>
  () =>
    codeOf(() => loadConfig({ ...env, ...extraEnv }, { configFile: configFile(name, mutate) }));

// Emulator answers are read loosely: the catalogue compares status and messageId only.
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
  // The configuration file and environment: ConfigError naming the field or variable.
  ...(
    [
      ['file is not JSON', 'not-json', () => ({ raw: '{"applications": [' }), undefined],
      ['applications is not an array', 'not-array', () => ({ applications: {} }), undefined],
      [
        'ttlSeconds negative',
        'ttl',
        (f) => (app0(f).policy!.ttlSeconds = -1),
        'applications[0].policy.ttlSeconds',
      ],
      [
        'ttlSeconds a string',
        'ttl-string',
        (f) => (app0(f).policy!.ttlSeconds = '300'),
        'applications[0].policy.ttlSeconds',
      ],
      ['pin length 11', 'pin', (f) => (app0(f).pin!.length = 11), 'applications[0].pin.length'],
      ['pin type unknown', 'pin-type', (f) => (app0(f).pin!.type = 'EMOJI'), 'applications[0].pin.type'],
      [
        'unknown field',
        'unknown',
        (f) => ((app0(f) as Record<string, unknown>).colour = 'red'),
        'applications[0].colour',
      ],
      [
        'application name 10,000 characters',
        'huge-name',
        (f) => ((app0(f) as Record<string, unknown>).name = 'a'.repeat(10_000)),
        'applications[0].name',
      ],
      [
        'duplicate application names',
        'dup',
        (f) => f.applications.push(testApplication('login') as unknown as Record<string, unknown>),
        undefined,
      ],
      [
        'allowedCountries lower case',
        'countries',
        (f) => (app0(f).policy!.allowedCountries = ['ch']),
        undefined,
      ],
      [
        'fallback channel FAX',
        'fallback',
        (f) => (app0(f).policy!.fallback = [{ channel: 'FAX', afterSeconds: 60 }]),
        undefined,
      ],
      [
        'Infobip rate "3 per day"',
        'rate',
        (f) => (app0(f).infobip!.sendPinPerPhoneNumberLimit = '3 per day'),
        undefined,
      ],
      [
        'template without {{pin}}',
        'template',
        (f) => (app0(f).templates = { sms: { en: { messageText: 'Hello' } } }),
        undefined,
      ],
    ] as [string, string, Parameters<typeof configFile>[1], string | undefined][]
  ).map(([input, name, mutate, field]): Row => ({
    surface: 'config-file',
    input,
    expected: { code: 'CONFIG_INVALID', ...(field ? { field } : {}) },
    run: cfg(name, mutate),
  })),
  {
    surface: 'config-file',
    input: 'file missing',
    expected: { code: 'CONFIG_INVALID' },
    run: () => codeOf(() => loadConfig(env, { configFile: path.join(dir, 'nope.json') })),
  },
  {
    surface: 'config-file',
    input: 'OTPFLOW_API_PORT=99999',
    expected: { code: 'CONFIG_INVALID', field: 'OTPFLOW_API_PORT' },
    run: cfg('port', () => undefined, { OTPFLOW_API_PORT: '99999' }),
  },
  {
    surface: 'config-file',
    input: 'OTPFLOW_DESTINATION_HASH_KEY too short',
    expected: { code: 'CONFIG_INVALID', field: 'OTPFLOW_DESTINATION_HASH_KEY' },
    run: cfg('hash', () => undefined, { OTPFLOW_DESTINATION_HASH_KEY: 'abcd' }),
  },
  {
    surface: 'config-file',
    input: 'INFOBIP_BASE_URL not a URL',
    expected: { code: 'CONFIG_INVALID', field: 'INFOBIP_BASE_URL' },
    run: cfg('url', () => undefined, { INFOBIP_BASE_URL: 'api.infobip.com' }),
  },
  {
    surface: 'config-file',
    input: 'OTPFLOW_API_KEYS with a short key',
    expected: { code: 'CONFIG_INVALID', field: 'OTPFLOW_API_KEYS' },
    run: cfg('keys', () => undefined, { OTPFLOW_API_KEYS: 'short' }),
  },

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

it(`answers ${rows.length} malformed configuration and emulator inputs precisely, changing nothing`, async () => {
  const apps = (await call('GET', '/2fa/2/applications')).body;
  const inbox = emulator.inbox.messages().length;
  const tried = await runCatalogue(rows);
  // The emulator still serves, with the same applications and inbox, and the PIN still verifies.
  expect((await call('GET', '/2fa/2/applications')).body).toEqual(apps);
  expect(emulator.inbox.messages()).toHaveLength(inbox);
  const pin = emulator.inbox.messages('41793026727')[0]!.pin;
  expect((await call('POST', `/2fa/2/pin/${pinId}/verify`, { pin })).body).toMatchObject({ verified: true });
  expect(emulator.faults.list()).toEqual([]);
  reportFigures('bad-input-config-emulator', { inputsTried: tried });
});
