/**
 * Bad-input catalogue, HTTP API: wrong types, huge strings, unicode digits, numbers in every
 * bad shape, unknown and traversal IDs, replayed codes. Each is answered with its problem type
 * and field; nothing is started or changed (stack and helpers: `bad-input-setup.ts`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_VERIFICATION_ID_LENGTH } from '../../domain/constants';
import { PROBLEM_BASE } from '../../api/problems';
import { testNumber } from '../harness/stack';
import { reportFigures } from './support';
import type { Outcome, Row } from './catalogue';
import {
  bad,
  check,
  ctx,
  http,
  KEY,
  rawHttp,
  post,
  runWithoutStateChange,
  setupCatalogue,
  start,
  teardownCatalogue,
} from './bad-input-setup';

beforeAll(setupCatalogue);
afterAll(teardownCatalogue);

const rows: Row[] = [
  {
    surface: 'http-api',
    input: 'body is not JSON',
    expected: bad('body'),
    run: post('/v1/verifications', '{"to": '),
  },
  {
    surface: 'http-api',
    input: 'body is a JSON array',
    expected: { status: 400, type: 'invalid-input' },
    run: post('/v1/verifications', [1, 2]),
  },
  {
    surface: 'http-api',
    input: 'to missing',
    expected: bad('to'),
    run: post('/v1/verifications', { channel: 'sms' }),
  },
  {
    surface: 'http-api',
    input: 'to a number, not a string',
    expected: bad('to'),
    run: start({ to: 41793026727 }),
  },
  {
    surface: 'http-api',
    input: 'to 10,000 characters',
    expected: bad('to'),
    run: start({ to: `+${'4'.repeat(10_000)}` }),
  },
  {
    surface: 'http-api',
    input: 'to without the plus',
    expected: bad('to'),
    run: start({ to: '41793026727' }),
  },
  {
    surface: 'http-api',
    input: 'to with letters between the digits',
    expected: bad('to'),
    run: start({ to: '+41 79 302 AB 27' }),
  },
  {
    surface: 'http-api',
    input: 'to with a full-width digit',
    expected: bad('to'),
    run: start({ to: '+4179302672７' }),
  },
  {
    surface: 'http-api',
    input: 'to with Arabic-Indic digits',
    expected: bad('to'),
    run: start({ to: '+٤١٧٩٣٠٢٦٧٢٧' }),
  },
  {
    surface: 'http-api',
    input: 'to in no country (+999…)',
    expected: bad('to'),
    run: start({ to: '+999123456789' }),
  },
  {
    surface: 'http-api',
    input: 'to an e-mail address for channel sms',
    expected: bad('to'),
    run: start({ to: 'a@example.com', channel: 'sms' }),
  },
  { surface: 'http-api', input: 'channel fax', expected: bad('channel'), run: start({ channel: 'fax' }) },
  {
    surface: 'http-api',
    input: 'unknown application',
    expected: bad('application'),
    run: start({ application: 'nope' }),
  },
  { surface: 'http-api', input: 'unknown field', expected: bad('colour'), run: start({ colour: 'red' }) },
  {
    surface: 'http-api',
    input: 'placeholder named pin',
    expected: { status: 400, type: 'invalid-input' },
    run: start({ placeholders: { pin: '123456' } }),
  },
  { surface: 'http-api', input: 'id with a slash', expected: bad('id'), run: start({ id: 'a/b' }) },
  {
    surface: 'http-api',
    input: `id of ${MAX_VERIFICATION_ID_LENGTH + 1} characters`,
    expected: bad('id'),
    run: start({ id: 'i'.repeat(MAX_VERIFICATION_ID_LENGTH + 1) }),
  },
  {
    surface: 'http-api',
    input: `read an ID of ${MAX_VERIFICATION_ID_LENGTH + 1} characters`,
    expected: bad('id'),
    run: () => http('GET', `/v1/verifications/${'i'.repeat(MAX_VERIFICATION_ID_LENGTH + 1)}`),
  },
  {
    surface: 'http-api',
    input: 'check an ID of 5,000 characters',
    expected: bad('id'),
    run: post(`/v1/verifications/${'i'.repeat(5_000)}/check`, { code: '123456' }),
  },
  {
    surface: 'http-api',
    input: 'cancel an ID of 5,000 characters without a key',
    expected: { status: 401, type: 'unauthorized' },
    run: post(`/v1/verifications/${'i'.repeat(5_000)}/cancel`, undefined, { authorization: '' }),
  },
  {
    surface: 'http-api',
    input: 'language that is no language code',
    expected: bad('language'),
    run: start({ language: 'english!' }),
  },
  {
    surface: 'http-api',
    input: 'body over 16 KiB',
    expected: { status: 413, type: 'payload-too-large' },
    run: start({ placeholders: { name: 'x'.repeat(20_000) } }),
  },
  {
    surface: 'http-api',
    input: 'content-type text/plain',
    expected: { status: 415, type: 'unsupported-media-type' },
    run: post('/v1/verifications', 'to=+41793026727', { 'content-type': 'text/plain' }),
  },
  {
    surface: 'http-api',
    input: 'no Authorization',
    expected: { status: 401, type: 'unauthorized' },
    run: post('/v1/verifications', {}, { authorization: '' }),
  },
  {
    surface: 'http-api',
    input: 'code with full-width digits',
    expected: bad('code'),
    run: check({ code: '１２３４５６' }),
  },
  {
    surface: 'http-api',
    input: 'code a number, not a string',
    expected: bad('code'),
    run: check({ code: 123456 }),
  },
  { surface: 'http-api', input: 'code missing', expected: bad('code'), run: check({}) },
  {
    surface: 'http-api',
    input: 'code 10,000 characters',
    expected: bad('code'),
    run: check({ code: '1'.repeat(10_000) }),
  },
  { surface: 'http-api', input: 'code with letters', expected: bad('code'), run: check({ code: '12a456' }) },
  {
    surface: 'http-api',
    input: 'check an unknown ID',
    expected: { status: 404, type: 'not-found' },
    run: post('/v1/verifications/otp-unknown/check', { code: '123456' }),
  },
  {
    surface: 'http-api',
    input: 'resend an unknown ID',
    expected: { status: 404, type: 'not-found' },
    run: post('/v1/verifications/otp-unknown/resend'),
  },
  {
    surface: 'http-api',
    input: 'read a path-traversal ID',
    expected: bad('id'),
    run: () => http('GET', '/v1/verifications/..%2F..%2Fetc%2Fpasswd'),
  },
  {
    surface: 'http-api',
    input: 'replayed correct code after VERIFIED',
    expected: { status: 409, type: 'already-finished' },
    run: post(
      () => `/v1/verifications/${encodeURIComponent(ctx.verified.id)}/check`,
      () => ({ code: ctx.verified.pin }),
    ),
  },
  {
    surface: 'http-api',
    input: 'resend a finished verification',
    expected: { status: 409, type: 'already-finished' },
    run: post(() => `/v1/verifications/${encodeURIComponent(ctx.verified.id)}/resend`),
  },
  {
    surface: 'http-api',
    input: '20 concurrent checks of the same malformed code',
    expected: { status: 400, type: 'invalid-input', field: 'code', distinct: 1 },
    run: concurrently(20, check({ code: '12-34-5' })),
  },
  {
    surface: 'http-api',
    input: '20 concurrent replays of a finished verification’s right code',
    expected: { status: 409, type: 'already-finished', distinct: 1 },
    run: concurrently(
      20,
      post(
        () => `/v1/verifications/${encodeURIComponent(ctx.verified.id)}/check`,
        () => ({ code: ctx.verified.pin }),
      ),
    ),
  },
];

/** Sends the same request `n` times at once; the outcome is the first answer and how many kinds there were. */
function concurrently(n: number, run: () => Promise<Outcome>): () => Promise<Outcome> {
  return async () => {
    const all = await Promise.all(Array.from({ length: n }, run));
    return { ...all[0], distinct: new Set(all.map((o) => JSON.stringify(o))).size };
  };
}

it(
  `answers ${rows.length} malformed HTTP API requests precisely, changing nothing`,
  () => runWithoutStateChange('bad-input-http', rows),
  120_000,
);

/** One raw request of the sweep and the status it must get. */
interface SweepCase {
  name: string;
  status: number;
  request: string;
}

const auth = () => `Authorization: Bearer ${KEY}\r\n`;
/** A request with `Connection: close`, a Host and, unless `key` is false, the API key. */
function req(method: string, target: string, opts: { headers?: string; body?: string; key?: boolean } = {}) {
  const body = opts.body ?? '';
  const length = opts.body === undefined ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  const key = opts.key === false ? '' : auth();
  return `${method} ${target} HTTP/1.1\r\nHost: api\r\n${key}${opts.headers ?? ''}${length}Connection: close\r\n\r\n${body}`;
}
const json = 'Content-Type: application/json\r\n';
const long = (n: number) => `/v1/verifications/${'i'.repeat(n)}`;

/** Malformed requests that fastify or Node answer before a route runs, unless the API takes over. */
const SWEEP: SweepCase[] = [
  // bad parameters
  { name: 'ID one over the limit', status: 400, request: req('GET', long(MAX_VERIFICATION_ID_LENGTH + 1)) },
  { name: 'ID of 5,000 characters', status: 400, request: req('GET', long(5_000)) },
  { name: 'ID of 5,000 characters, no key', status: 401, request: req('GET', long(5_000), { key: false }) },
  {
    name: 'check an ID of 400 characters',
    status: 400,
    request: req('POST', `${long(400)}/check`, { headers: json, body: '{"code":"123456"}' }),
  },
  { name: 'resend an ID of 400 characters', status: 400, request: req('POST', `${long(400)}/resend`) },
  { name: 'cancel an ID of 400 characters', status: 400, request: req('POST', `${long(400)}/cancel`) },
  { name: 'broken percent-encoding', status: 400, request: req('GET', '/v1/verifications/%E0%A4%A') },
  {
    name: 'broken percent-encoding, no key',
    status: 401,
    request: req('GET', '/v1/verifications/%E0%A4%A', { key: false }),
  },
  { name: 'empty ID', status: 400, request: req('GET', '/v1/verifications/') },
  { name: 'NUL ID', status: 400, request: req('GET', '/v1/verifications/%00') },
  // huge headers
  {
    name: 'a 20,000-byte header',
    status: 431,
    request: req('GET', '/v1/verifications/x', { headers: `X-Big: ${'b'.repeat(20_000)}\r\n` }),
  },
  { name: 'a 20,000-character URL', status: 431, request: req('GET', long(20_000)) },
  // bad JSON
  {
    name: 'truncated JSON',
    status: 400,
    request: req('POST', '/v1/verifications', { headers: json, body: '{"to":' }),
  },
  {
    name: 'JSON with __proto__',
    status: 400,
    request: req('POST', '/v1/verifications', { headers: json, body: '{"__proto__":{"to":"+41"}}' }),
  },
  {
    name: 'JSON string as a check body',
    status: 400,
    request: req('POST', '/v1/verifications/x/check', { headers: json, body: '"123456"' }),
  },
  {
    name: 'bytes that are not UTF-8',
    status: 400,
    request: req('POST', '/v1/verifications', { headers: json, body: '{"to":"\xff\xfe"}' }),
  },
  // wrong content types
  {
    name: 'form-encoded body',
    status: 415,
    request: req('POST', '/v1/verifications', {
      headers: 'Content-Type: application/x-www-form-urlencoded\r\n',
      body: 'to=%2B41793026727',
    }),
  },
  {
    name: 'multipart body',
    status: 415,
    request: req('POST', '/v1/verifications', {
      headers: 'Content-Type: multipart/form-data; boundary=x\r\n',
      body: '--x\r\n\r\n--x--',
    }),
  },
  {
    name: 'a body without a content type',
    status: 415,
    request: req('POST', '/v1/verifications', { body: 'to' }),
  },
  {
    name: 'XML body',
    status: 415,
    request: req('POST', '/v1/verifications', {
      headers: 'Content-Type: application/xml\r\n',
      body: '<to/>',
    }),
  },
  // wrong methods
  { name: 'PUT a collection', status: 405, request: req('PUT', '/v1/verifications') },
  { name: 'DELETE a verification', status: 405, request: req('DELETE', '/v1/verifications/x') },
  { name: 'PATCH a check', status: 405, request: req('PATCH', '/v1/verifications/x/check') },
  { name: 'GET a check', status: 405, request: req('GET', '/v1/verifications/x/check') },
  { name: 'OPTIONS', status: 405, request: req('OPTIONS', '/v1/verifications') },
  { name: 'TRACE', status: 404, request: req('TRACE', '/') },
  { name: 'CONNECT', status: 400, request: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n' },
  // malformed HTTP
  { name: 'not HTTP at all', status: 400, request: 'HELLO\r\n\r\n' },
  {
    name: 'HTTP/9.9',
    status: 400,
    request: 'GET /healthz HTTP/9.9\r\nHost: api\r\nConnection: close\r\n\r\n',
  },
  {
    name: 'a header without a colon',
    status: 400,
    request: req('GET', '/healthz', { headers: 'Bad Header\r\n' }),
  },
  {
    name: 'Transfer-Encoding and Content-Length both',
    status: 400,
    request: req('POST', '/v1/verifications', {
      headers: `${json}Transfer-Encoding: chunked\r\n`,
      body: '0\r\n\r\n',
    }),
  },
  {
    name: 'broken chunked encoding',
    status: 400,
    request: `POST /v1/verifications HTTP/1.1\r\nHost: api\r\n${auth()}${json}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
  },
  {
    name: 'an Expect other than 100-continue',
    status: 417,
    request: req('POST', '/v1/verifications', { headers: `${json}Expect: coffee\r\n`, body: '{}' }),
  },
];

it(`answers ${SWEEP.length} malformed requests with problem+json, never a framework envelope`, async () => {
  const wrong: string[] = [];
  for (const c of SWEEP) {
    const res = await rawHttp(c.request);
    let body: { type?: unknown; status?: unknown } = {};
    try {
      body = JSON.parse(res.body) as typeof body;
    } catch {
      // reported below
    }
    const problem =
      res.contentType.startsWith('application/problem+json') &&
      typeof body.type === 'string' &&
      body.type.startsWith(PROBLEM_BASE) &&
      body.status === res.status;
    if (res.status !== c.status || !problem)
      wrong.push(`${c.name}: ${res.status} ${res.contentType} ${res.body.slice(0, 160)}`);
  }
  reportFigures('bad-input-http-sweep', { requestsTried: SWEEP.length });
  expect(wrong).toEqual([]);
});

it(`serves a ${MAX_VERIFICATION_ID_LENGTH}-character caller ID on every route`, async () => {
  const id = `long-${'x'.repeat(MAX_VERIFICATION_ID_LENGTH - 5)}`;
  const to = testNumber();
  const path = `/v1/verifications/${encodeURIComponent(id)}`;
  expect(await http('POST', '/v1/verifications', { to, id })).toMatchObject({ status: 201 });
  expect(await http('GET', path)).toMatchObject({ status: 200 });
  expect(await http('POST', `${path}/check`, { code: 'AAAAAA' })).toMatchObject({
    status: 400,
    field: 'code',
  });
  // Accepted, or refused for its cooldown: either way the route answered.
  expect([200, 429]).toContain((await http('POST', `${path}/resend`)).status);
  expect(await http('POST', `${path}/cancel`)).toMatchObject({ status: 200 });
  expect(await http('POST', `${path}/check`, { code: '123456' })).toMatchObject({
    status: 409,
    type: 'already-finished',
  });
});
