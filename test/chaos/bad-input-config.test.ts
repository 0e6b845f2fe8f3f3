/**
 * Bad-input catalogue, configuration: broken applications files and environment variables.
 * Each gets `ConfigError` (`CONFIG_INVALID`) naming the field or variable at fault; nothing
 * crashes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, it } from 'vitest';
import { testApplication } from '../kits/client';
import { loadConfig } from '../../config';
import { codeOf, runCatalogue, type Row } from './catalogue';
import { reportFigures } from './support';

const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-badcfg-'));
const env = { INFOBIP_API_KEY: 'k', OTPFLOW_DESTINATION_HASH_KEY: 'ab'.repeat(32) };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
      [
        'checkTimeoutSeconds 1 (no time left for the verify call)',
        'check-timeout',
        (f) => ((app0(f).policy as Record<string, unknown>).checkTimeoutSeconds = 1),
        'applications[0].policy.checkTimeoutSeconds',
      ],
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
];

it(`answers ${rows.length} broken configuration files and variables with the field at fault`, async () => {
  reportFigures('bad-input-config', { inputsTried: await runCatalogue(rows) });
});
