/**
 * Bad-input catalogue, CLI and client library: each malformed input gets its exit code (from a
 * real `bin/otpflow.js` process) or its error code and field; nothing is started or changed
 * (stack and helpers: `bad-input-setup.ts`).
 */
import { afterAll, beforeAll, it } from 'vitest';
import { testNumber } from '../harness/stack';
import type { Row } from './catalogue';
import {
  cli,
  ctx,
  invalid,
  lib,
  libStart,
  runWithoutStateChange,
  setupCatalogue,
  teardownCatalogue,
} from './bad-input-setup';

beforeAll(setupCatalogue);
afterAll(teardownCatalogue);

const rows: Row[] = [
  { surface: 'cli', input: 'no command', expected: { exit: 2 }, run: cli(() => []) },
  { surface: 'cli', input: 'unknown command', expected: { exit: 2 }, run: cli(() => ['hack']) },
  {
    surface: 'cli',
    input: 'unknown option',
    expected: { exit: 2 },
    run: cli(() => ['status', ctx.pending.id, '--bogus']),
  },
  {
    surface: 'cli',
    input: 'verify without a code',
    expected: { exit: 2 },
    run: cli(() => ['verify', ctx.pending.id]),
  },
  {
    surface: 'cli',
    input: 'verify a malformed code',
    expected: { exit: 2 },
    run: cli(() => ['verify', ctx.pending.id, '12ab56']),
  },
  {
    surface: 'cli',
    input: 'verify with unicode digits',
    expected: { exit: 2 },
    run: cli(() => ['verify', ctx.pending.id, '١٢٣٤٥٦']),
  },
  {
    surface: 'cli',
    input: 'start an invalid number',
    expected: { exit: 2 },
    run: cli(() => ['start', '+41 79 30']),
  },
  {
    surface: 'cli',
    input: 'start with channel fax',
    expected: { exit: 2 },
    run: cli(() => ['start', testNumber(), '--channel', 'fax']),
  },
  {
    surface: 'cli',
    input: 'start with an unknown application',
    expected: { exit: 2 },
    run: cli(() => ['start', testNumber(), '--app', 'nope']),
  },
  {
    surface: 'cli',
    input: 'status of an unknown ID',
    expected: { exit: 4 },
    run: cli(() => ['status', 'otp-unknown']),
  },
  {
    surface: 'cli',
    input: 'list with limit abc',
    expected: { exit: 2 },
    run: cli(() => ['list', '--limit', 'abc']),
  },
  {
    surface: 'client-library',
    input: 'start without destination',
    expected: invalid('to'),
    run: libStart({}),
  },
  {
    surface: 'client-library',
    input: 'start with an object as destination',
    expected: invalid('to'),
    run: libStart({ destination: {} as string }),
  },
  {
    surface: 'client-library',
    input: 'start with channel "SMS "',
    expected: invalid('channel'),
    run: libStart({ destination: testNumber(), channel: 'SMS ' }),
  },
  {
    surface: 'client-library',
    input: 'start with an empty id',
    expected: invalid('id'),
    run: libStart({ destination: testNumber(), id: '' }),
  },
  {
    surface: 'client-library',
    input: 'start with placeholders an array',
    expected: invalid('placeholders'),
    run: libStart({ destination: testNumber(), placeholders: [] as unknown as Record<string, string> }),
  },
  {
    surface: 'client-library',
    input: 'start with a malformed fallback e-mail',
    expected: invalid('email'),
    run: libStart({ destination: testNumber(), email: 'not-an-email' }),
  },
  {
    surface: 'client-library',
    input: 'check with code null',
    expected: invalid('code'),
    run: lib(() => ctx.otp.check(ctx.pending.id, null as unknown as string)),
  },
  {
    surface: 'client-library',
    input: 'check a 300-character ID',
    expected: { code: 'OTP_UNKNOWN_VERIFICATION' },
    run: lib(() => ctx.otp.check('x'.repeat(300), '123456')),
  },
  {
    surface: 'client-library',
    input: 'cancel an unknown ID',
    expected: { code: 'OTP_UNKNOWN_VERIFICATION' },
    run: lib(() => ctx.otp.cancel('otp-unknown')),
  },
];

it(
  `answers ${rows.length} malformed CLI and client-library inputs precisely, changing nothing`,
  () => runWithoutStateChange('bad-input-cli-library', rows),
  180_000,
);
