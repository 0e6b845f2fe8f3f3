import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config';
import { validateApplications } from '../config/applications';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests mutate untyped JSON documents
type Json = any;

const HASH_KEY = 'ab'.repeat(32);
const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');
const BASE_ENV = { INFOBIP_API_KEY: 'ib-key', OTPFLOW_DESTINATION_HASH_KEY: HASH_KEY, HOME: '/nonexistent' };
const committed = JSON.parse(readFileSync(path.join(__dirname, '..', 'otpflow.config.json'), 'utf8')) as {
  applications: Record<string, unknown>[];
};

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** The problem lines of the ConfigError that `fn` throws. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.code).toBe('CONFIG_INVALID');
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

/** Problems of the committed file after `mutate`. */
function fileProblems(mutate: (app: Json, doc: Json) => void): string[] {
  const doc = clone(committed) as Json;
  mutate(doc.applications[0], doc);
  const r = validateApplications(doc);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('defaultCountry', () => {
  it('takes a country with phone numbers, within allowedCountries when those are restricted', () => {
    expect(fileProblems((app) => (app.defaultCountry = 'CH'))).toEqual([]);
    expect(fileProblems((app) => (app.defaultCountry = 'ch'))).toEqual([
      expect.stringMatching(/^applications\[0\]\.defaultCountry: /),
    ]);
    expect(fileProblems((app) => (app.defaultCountry = 'XX'))).toEqual([
      'applications[0].defaultCountry: "XX" is not a country with phone numbers',
    ]);
    expect(
      fileProblems((app) => {
        app.defaultCountry = 'DE';
        app.policy.allowedCountries = ['CH'];
      }),
    ).toEqual(['applications[0].defaultCountry: must be one of policy.allowedCountries (CH)']);
  });
});

describe('loadConfig', () => {
  it('loads the committed applications file with defaults', () => {
    const c = loadConfig(BASE_ENV);
    expect(c.applications.map((a) => a.name)).toEqual(['login']);
    const login = c.applications[0]!;
    expect(login.pin).toEqual({ type: 'NUMERIC', length: 6 });
    expect(login.policy).toMatchObject({
      lookup: 'ADVISORY',
      ttlSeconds: 300,
      maxAttempts: 5,
      resendCooldownSeconds: 30,
      maxResends: 3,
    });
    expect(login.policy.fallback).toEqual([{ channel: 'VOICE', afterSeconds: 60 }]);
    expect(login.infobip.allowMultiplePinVerifications).toBe(false);
    expect(Object.keys(login.templates.sms ?? {}).length).toBeGreaterThanOrEqual(2);
    expect(c.infobip).toEqual({ baseUrl: 'https://api.infobip.com', apiKey: 'ib-key' });
    expect(c.temporal.taskQueue).toBe('otpflow');
    expect(c.temporal.connect?.connectionOptions.address).toBe('localhost:7233');
    expect(c.api).toEqual({
      host: '127.0.0.1',
      port: 8080,
      keys: [],
      adminKeys: [],
      rateLimit: { perSecond: 50, burst: 100 },
    });
    expect(c.destinationHashKey.length).toBe(32);
    expect(c.encryptionKeys).toEqual([]);
    expect(c.codecServer).toBeUndefined();
  });

  it('reads every variable', () => {
    const c = loadConfig({
      ...BASE_ENV,
      INFOBIP_BASE_URL: 'https://xyz.api.infobip.com/',
      OTPFLOW_API_KEYS: 'key-one-0123456789, admin:key-ops-0123456789, key-two-0123456789',
      OTPFLOW_API_RATE_LIMIT: '20',
      OTPFLOW_API_RATE_BURST: '5',
      OTPFLOW_API_HOST: '0.0.0.0',
      OTPFLOW_API_PORT: '9000',
      OTPFLOW_TASK_QUEUE: 'otp-eu',
      OTPFLOW_ENCRYPTION_KEYS: `new:${KEY_B},old:${KEY_A}`,
      OTPFLOW_CODEC_PORT: '8888',
      OTPFLOW_CODEC_CORS_ORIGINS: 'https://temporal.example.com',
      OTPFLOW_CODEC_API_KEYS: 'codec-key-0123456789',
      OTPFLOW_METRICS_ADDRESS: '0.0.0.0:9464',
      OTPFLOW_LOG_LEVEL: 'debug',
      OTPFLOW_SHUTDOWN_GRACE_SECONDS: '2.5',
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'otp',
      TEMPORAL_API_KEY: 'tk',
    });
    expect(c.infobip.baseUrl).toBe('https://xyz.api.infobip.com');
    expect(c.api).toEqual({
      host: '0.0.0.0',
      port: 9000,
      keys: ['key-one-0123456789', 'key-two-0123456789'],
      // `admin:` marks a key allowed to use /v1/guard; it is not part of the key.
      adminKeys: ['key-ops-0123456789'],
      rateLimit: { perSecond: 20, burst: 5 },
    });
    expect(c.temporal).toMatchObject({ taskQueue: 'otp-eu', namespace: 'otp' });
    expect(c.temporal.connect?.connectionOptions).toMatchObject({ address: 'temporal:7233', apiKey: 'tk' });
    expect(c.encryptionKeys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(c.encryptionKeys[0]!.key).toEqual(Buffer.alloc(32, 2));
    expect(c.codecServer).toEqual({
      host: '127.0.0.1',
      port: 8888,
      corsOrigins: ['https://temporal.example.com'],
      apiKeys: ['codec-key-0123456789'],
    });
    expect(c.worker).toEqual({ metricsAddress: '0.0.0.0:9464', logLevel: 'debug', shutdownGraceMs: 2500 });
  });

  it('names each broken variable', () => {
    const lines = problemsOf(() =>
      loadConfig({
        HOME: '/nonexistent',
        INFOBIP_BASE_URL: 'ftp://nope',
        OTPFLOW_API_PORT: '70000',
        OTPFLOW_API_KEYS: 'admin:short-0123',
        OTPFLOW_API_RATE_LIMIT: 'fast',
        OTPFLOW_DESTINATION_HASH_KEY: 'abcd',
        OTPFLOW_ENCRYPTION_KEYS: `k1:${KEY_A},k1:${KEY_B},k3:dG9vIHNob3J0`,
        OTPFLOW_METRICS_ADDRESS: 'nowhere',
        OTPFLOW_LOG_LEVEL: 'loud',
        TEMPORAL_PROFILE: 'missing',
      }),
    );
    const byVar = (v: string) => lines.filter((l) => l.startsWith(`${v}:`));
    expect(byVar('INFOBIP_API_KEY')[0]).toMatch(/is required/);
    expect(byVar('INFOBIP_BASE_URL')[0]).toMatch(/http\(s\) URL/);
    expect(byVar('OTPFLOW_API_PORT')[0]).toMatch(/port number/);
    expect(byVar('OTPFLOW_API_KEYS')[0]).toMatch(/at least 16 characters/);
    expect(byVar('OTPFLOW_API_RATE_LIMIT')[0]).toMatch(/must be a number from 0 to 100000/);
    expect(byVar('OTPFLOW_DESTINATION_HASH_KEY')[0]).toMatch(/at least 32 bytes/);
    expect(byVar('OTPFLOW_ENCRYPTION_KEYS')).toEqual([
      expect.stringMatching(/"k1" appears twice/),
      expect.stringMatching(/"k3" must be exactly 32 bytes/),
    ]);
    expect(byVar('OTPFLOW_METRICS_ADDRESS')[0]).toMatch(/host:port/);
    expect(byVar('OTPFLOW_LOG_LEVEL')[0]).toMatch(/one of/);
    expect(lines.some((l) => l.startsWith('TEMPORAL_') && l.includes("Profile 'missing'"))).toBe(true);
  });

  it('makes secrets optional only when asked', () => {
    const c = loadConfig({ HOME: '/nonexistent' }, { require: [] });
    expect(c.infobip.apiKey).toBe('');
    expect(c.destinationHashKey.length).toBe(0);
    expect(problemsOf(() => loadConfig(BASE_ENV, { require: ['apiKeys'] }))).toEqual([
      expect.stringMatching(/^OTPFLOW_API_KEYS: is required/),
    ]);
  });

  it('reads OTPFLOW_CONFIG and requires each declared webhook secret', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-config-'));
    const doc = clone(committed) as Json;
    doc.applications[0].webhook = { url: 'https://hooks.example.com/otp', secretEnv: 'LOGIN_WEBHOOK_SECRET' };
    writeFileSync(path.join(dir, 'apps.json'), JSON.stringify(doc));
    const env = { ...BASE_ENV, OTPFLOW_CONFIG: 'apps.json' };
    expect(problemsOf(() => loadConfig(env, { cwd: dir }))).toEqual([
      'LOGIN_WEBHOOK_SECRET: is required (webhook secret of application "login") but not set',
    ]);
    const c = loadConfig({ ...env, LOGIN_WEBHOOK_SECRET: 's3cret' }, { cwd: dir });
    expect(c.webhookSecrets).toEqual({ LOGIN_WEBHOOK_SECRET: 's3cret' });
    expect(c.configFile).toBe(path.join(dir, 'apps.json'));
  });

  it('reports an unreadable or non-JSON file by name, not with a stack', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-config-'));
    writeFileSync(path.join(dir, 'bad.json'), '{ "applications": [ ');
    expect(problemsOf(() => loadConfig(BASE_ENV, { configFile: path.join(dir, 'bad.json') }))[0]).toMatch(
      /^\(file\): is not valid JSON/,
    );
    expect(problemsOf(() => loadConfig(BASE_ENV, { configFile: path.join(dir, 'none.json') }))[0]).toMatch(
      /^OTPFLOW_CONFIG: cannot read/,
    );
  });
});

describe('applications file validation', () => {
  it('accepts the committed file', () => {
    expect(fileProblems(() => undefined)).toEqual([]);
  });

  it.each<[string, (app: Json, doc: Json) => void, string]>([
    ['ttl below range', (a) => (a.policy.ttlSeconds = 0), 'applications[0].policy.ttlSeconds: must be ≥ 1'],
    ['missing field', (a) => delete a.policy.maxAttempts, 'applications[0].policy.maxAttempts: is required'],
    ['unknown field', (a) => (a.policy.ttl = 3), 'applications[0].policy.ttl: is not a known field'],
    ['wrong type', (a) => (a.pin.length = '6'), 'applications[0].pin.length: must be integer'],
    [
      'bad enum',
      (a) => (a.policy.lookup = 'MAYBE'),
      'applications[0].policy.lookup: must be one of REQUIRED, ADVISORY, OFF',
    ],
    [
      'duration grammar',
      (a) => (a.infobip.pinTimeToLive = '10 minutes'),
      'applications[0].infobip.pinTimeToLive: must be an Infobip duration such as 15m (units ms, s, m, h, d)',
    ],
    [
      'rate grammar',
      (a) => (a.infobip.verifyPinLimit = '5 per minute'),
      'applications[0].infobip.verifyPinLimit: must be an Infobip rate such as 3/1d (attempts/window)',
    ],
    [
      'zero rate',
      (a) => (a.infobip.sendPinPerPhoneNumberLimit = '0/1d'),
      'applications[0].infobip.sendPinPerPhoneNumberLimit: must be a rate with attempts and window > 0, such as 3/1d',
    ],
    [
      'bad language',
      (a) => (a.templates.sms.english = a.templates.sms.en),
      'applications[0].templates.sms.english: is not a language code such as en or pt-BR',
    ],
    ['no applications', (_a, d) => (d.applications = []), 'applications: must NOT have fewer than 1 items'],
    [
      'duplicate name',
      (a, d) => d.applications.push(clone(a)),
      'applications[1].name: duplicate of applications[0].name ("login")',
    ],
    [
      'missing {{pin}}',
      (a) => (a.templates.sms.de.messageText = 'Ihr Code'),
      'applications[0].templates.sms.de.messageText: must contain {{pin}}',
    ],
    [
      'default language missing',
      (a) => delete a.templates.voice.en,
      'applications[0].templates.voice: has no template in defaultLanguage "en"',
    ],
    [
      'fallback without template',
      (a) => (
        (a.policy.fallback = [{ channel: 'VOICE', afterSeconds: 60 }]),
        delete a.templates.voice,
        (a.policy.voiceForLandlines = false)
      ),
      'applications[0].policy.fallback[0].channel: VOICE has no templates (declare templates.voice)',
    ],
    [
      'fallback after ttl',
      (a) => (a.policy.fallback[0].afterSeconds = 300),
      'applications[0].policy.fallback[0].afterSeconds: must be < policy.ttlSeconds (300) or it never fires',
    ],
    [
      'pinAttempts < maxAttempts',
      (a) => (a.infobip.pinAttempts = 3),
      'applications[0].infobip.pinAttempts: must be ≥ policy.maxAttempts (5)',
    ],
    [
      'pinTimeToLive < ttl',
      (a) => (a.infobip.pinTimeToLive = '2m'),
      'applications[0].infobip.pinTimeToLive: must be ≥ policy.ttlSeconds (300s)',
    ],
    [
      'voiceForLandlines without voice',
      (a) => (delete a.templates.voice, (a.policy.fallback = [])),
      'applications[0].policy.voiceForLandlines: needs voice templates (declare templates.voice or set it to false)',
    ],
  ])('%s', (_name, mutate, expected) => {
    expect(fileProblems(mutate)).toContain(expected);
  });

  it('lists every problem at once', () => {
    const problems = fileProblems((a) => {
      a.policy.ttlSeconds = 0;
      a.pin.type = 'EMOJI';
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'applications[0].policy.ttlSeconds: must be ≥ 1',
        'applications[0].pin.type: must be one of NUMERIC, ALPHA, HEX, ALPHANUMERIC',
      ]),
    );
  });
});
