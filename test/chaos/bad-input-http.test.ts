/**
 * Bad-input catalogue, HTTP API: wrong types, huge strings, unicode digits, numbers in every
 * bad shape, unknown and traversal IDs, replayed codes. Each is answered with its problem type
 * and field; nothing is started or changed (stack and helpers: `bad-input-setup.ts`).
 */
import { afterAll, beforeAll, it } from 'vitest';
import type { Outcome, Row } from './catalogue';
import {
  bad,
  check,
  ctx,
  http,
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
