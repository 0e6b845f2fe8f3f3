/**
 * `loadConfig`: the one place that reads otpflow's environment and applications file,
 * validates all of it at start-up and names every broken variable or field.
 */
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { DEFAULT_TASK_QUEUE } from '../domain/constants';
import { readApplicationsFile } from './applications';
import { ConfigError, type ConfigProblem } from './errors';
import { projectFile } from './paths';
import type { CodecServerConfig, OtpflowConfig, WorkerProcessConfig } from './types';

/** Secrets a process may not need; `loadConfig` requires the ones listed in `require`. */
export type RequiredSecret = 'infobipApiKey' | 'destinationHashKey' | 'apiKeys';

export interface LoadConfigOptions {
  /** Applications file; overrides `OTPFLOW_CONFIG`. @default the committed `otpflow.config.json` */
  configFile?: string;
  /**
   * Secrets that must be set. A secret that is not required and not set loads as empty
   * (an empty string, an empty Buffer, an empty list).
   * @default ['infobipApiKey', 'destinationHashKey']
   */
  require?: RequiredSecret[];
  /** Working directory that relative `OTPFLOW_CONFIG` paths resolve against. @default process.cwd() */
  cwd?: string;
  /** Require the webhook secrets the applications name (only workers send webhooks). @default true */
  webhookSecrets?: boolean;
}

/** What the client library needs: applications, Temporal, the destination-hash and encryption keys. */
export type ClientConfig = Pick<
  OtpflowConfig,
  'applications' | 'temporal' | 'destinationHashKey' | 'encryptionKeys' | 'configFile'
>;

/** Options of `loadClientConfig`. */
export interface LoadClientConfigOptions {
  /** Applications file, the one the workers use; overrides `OTPFLOW_CONFIG`. @default the packaged `otpflow.config.json` */
  configFile?: string;
  /** Working directory that relative paths resolve against. @default process.cwd() */
  cwd?: string;
  /**
   * Whether `OTPFLOW_DESTINATION_HASH_KEY` must be set: starts need it; status, check, list do not.
   * @default true
   */
  requireHashKey?: boolean;
}

/**
 * Loads what a client of otpflow (your backend, the CLI) needs and nothing else: the
 * applications file, Temporal's connection (`TEMPORAL_*`, `@temporalio/envconfig`),
 * `OTPFLOW_TASK_QUEUE`, `OTPFLOW_DESTINATION_HASH_KEY` and `OTPFLOW_ENCRYPTION_KEYS`. Neither
 * `INFOBIP_API_KEY` nor webhook secrets are read. Throws `ConfigError` naming each broken variable.
 */
export function loadClientConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: LoadClientConfigOptions = {},
): ClientConfig {
  const { applications, temporal, destinationHashKey, encryptionKeys, configFile } = loadConfig(env, {
    ...(options.configFile !== undefined ? { configFile: options.configFile } : {}),
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    require: options.requireHashKey === false ? [] : ['destinationHashKey'],
    webhookSecrets: false,
  });
  return { applications, temporal, destinationHashKey, encryptionKeys, configFile };
}

/** Default Infobip base URL; Infobip recommends each account's own `https://<x>.api.infobip.com`. */
export const DEFAULT_INFOBIP_BASE_URL = 'https://api.infobip.com';
export const DEFAULT_API_PORT = 8080;
export const DEFAULT_CODEC_PORT = 8888;
/** Web UI origins of a local dev server, allowed by the codec server unless configured. */
export const DEFAULT_CODEC_CORS_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const MIN_API_KEY_LENGTH = 16;
/** Requests per second each API key may make to one API instance (`OTPFLOW_API_RATE_LIMIT`). */
export const DEFAULT_API_RATE_LIMIT = 50;
/** Marks an admin key in `OTPFLOW_API_KEYS` (`admin:<key>`): it may also use `/v1/guard`. */
export const ADMIN_KEY_MARKER = 'admin:';

/** Splits `admin:<key>` entries from plain keys; the marker is not part of the key. */
function splitAdminKeys(entries: string[]): { keys: string[]; admin: string[] } {
  const admin = entries
    .filter((k) => k.startsWith(ADMIN_KEY_MARKER))
    .map((k) => k.slice(ADMIN_KEY_MARKER.length));
  return { keys: entries.filter((k) => !k.startsWith(ADMIN_KEY_MARKER)), admin };
}

/**
 * Loads and validates the configuration. Throws `ConfigError` listing every broken variable
 * (`OTPFLOW_API_PORT: …`) or field (`applications[0].policy.ttlSeconds: must be ≥ 1`).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: LoadConfigOptions = {},
): OtpflowConfig {
  const problems: ConfigProblem[] = [];
  const need = new Set(options.require ?? ['infobipApiKey', 'destinationHashKey']);
  const r = new EnvReader(env, problems);

  const configFile = options.configFile
    ? path.resolve(options.cwd ?? process.cwd(), options.configFile)
    : env.OTPFLOW_CONFIG
      ? path.resolve(options.cwd ?? process.cwd(), env.OTPFLOW_CONFIG)
      : projectFile('otpflow.config.json');
  const file = readApplicationsFile(configFile);
  if (!file.ok) problems.push(...file.problems);

  const baseUrl = r.url('INFOBIP_BASE_URL') ?? DEFAULT_INFOBIP_BASE_URL;
  const apiKey = r.string('INFOBIP_API_KEY', need.has('infobipApiKey')) ?? '';
  const { keys: apiKeys, admin: adminKeys } = splitAdminKeys(
    r.keyList('OTPFLOW_API_KEYS', need.has('apiKeys'), true),
  );
  const ratePerSecond = r.number('OTPFLOW_API_RATE_LIMIT', 0, 100_000) ?? DEFAULT_API_RATE_LIMIT;
  const rateBurst = r.number('OTPFLOW_API_RATE_BURST', 1, 1_000_000) ?? Math.max(1, ratePerSecond * 2);
  const apiHost = r.string('OTPFLOW_API_HOST', false) ?? '127.0.0.1';
  const apiPort = r.port('OTPFLOW_API_PORT') ?? DEFAULT_API_PORT;
  const reportCredentials = r.basicCredentials('OTPFLOW_DELIVERY_REPORT_CREDENTIALS');
  const taskQueue = r.string('OTPFLOW_TASK_QUEUE', false) ?? DEFAULT_TASK_QUEUE;
  const destinationHashKey = r.secretBytes('OTPFLOW_DESTINATION_HASH_KEY', need.has('destinationHashKey'));
  const encryptionKeys = r.encryptionKeys('OTPFLOW_ENCRYPTION_KEYS');

  const webhookSecrets: Record<string, string> = {};
  if (file.ok && options.webhookSecrets !== false) {
    for (const app of file.applications) {
      if (!app.webhook) continue;
      const secret = r.string(app.webhook.secretEnv, true, `webhook secret of application "${app.name}"`);
      if (secret !== undefined) webhookSecrets[app.webhook.secretEnv] = secret;
    }
  }

  let codecServer: CodecServerConfig | undefined;
  const codecPort = r.port('OTPFLOW_CODEC_PORT');
  if (codecPort !== undefined) {
    codecServer = {
      host: r.string('OTPFLOW_CODEC_HOST', false) ?? '127.0.0.1',
      port: codecPort,
      corsOrigins: r.originList('OTPFLOW_CODEC_CORS_ORIGINS') ?? DEFAULT_CODEC_CORS_ORIGINS,
      apiKeys: r.keyList('OTPFLOW_CODEC_API_KEYS', false),
    };
  }

  const worker: WorkerProcessConfig = {
    metricsAddress: r.hostPort('OTPFLOW_METRICS_ADDRESS'),
    logLevel: r.oneOf('OTPFLOW_LOG_LEVEL', LOG_LEVELS) ?? 'info',
    shutdownGraceMs: (r.seconds('OTPFLOW_SHUTDOWN_GRACE_SECONDS') ?? 10) * 1000,
  };

  let connect: OtpflowConfig['temporal']['connect'];
  try {
    const overrideEnvVars = Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    connect = loadClientConnectConfig({ overrideEnvVars });
    connect.connectionOptions.address ??= 'localhost:7233';
  } catch (err) {
    problems.push({
      path: 'TEMPORAL_* / temporal.toml',
      message: `Temporal environment configuration is invalid: ${(err as Error).message}`,
    });
  }

  if (problems.length > 0 || !file.ok) throw new ConfigError(problems, configFile);
  return {
    applications: file.applications,
    infobip: { baseUrl, apiKey },
    temporal: { taskQueue, namespace: connect?.namespace ?? 'default', connect },
    api: {
      host: apiHost,
      port: apiPort,
      keys: apiKeys,
      ...(reportCredentials.length > 0 ? { deliveryReportCredentials: reportCredentials } : {}),
      adminKeys,
      rateLimit: { perSecond: ratePerSecond, burst: rateBurst },
    },
    destinationHashKey,
    encryptionKeys,
    webhookSecrets,
    codecServer,
    worker,
    configFile,
  };
}

/** Reads typed values from the environment, collecting problems instead of throwing. */
class EnvReader {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly problems: ConfigProblem[],
  ) {}

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  private fail(name: string, message: string): undefined {
    this.problems.push({ path: name, message });
    return undefined;
  }

  string(name: string, required: boolean, what?: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined && required)
      return this.fail(name, `is required${what ? ` (${what})` : ''} but not set`);
    return v;
  }

  url(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:')
        return this.fail(name, `must be an http(s) URL (got "${v}")`);
      return v.replace(/\/+$/, '');
    } catch {
      return this.fail(name, `must be an http(s) URL (got "${v}")`);
    }
  }

  port(name: string): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < 0 || n > 65535)
      return this.fail(name, `must be a port number 0–65535 (got "${v}")`);
    return n;
  }

  /** A number from `min` to `max`. */
  number(name: string, min: number, max: number): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || n < min || n > max)
      return this.fail(name, `must be a number from ${min} to ${max} (got "${v}")`);
    return n;
  }

  seconds(name: string): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(v)) return this.fail(name, `must be a number of seconds (got "${v}")`);
    return Number(v);
  }

  hostPort(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const m = /^(.+):(\d+)$/.exec(v);
    if (!m || Number(m[2]) > 65535)
      return this.fail(name, `must be host:port such as 127.0.0.1:9464 (got "${v}")`);
    return v;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v))
      return this.fail(name, `must be one of ${allowed.join(', ')} (got "${v}")`);
    return v as T;
  }

  /** Comma-separated keys; with `adminMarker`, an `admin:` prefix is allowed and not counted. */
  keyList(name: string, required: boolean, adminMarker = false): string[] {
    const v = this.raw(name);
    if (v === undefined) {
      if (required) this.fail(name, 'is required but not set (a comma-separated list of API keys)');
      return [];
    }
    const keys = v.split(',').map((k) => k.trim());
    const bare = (k: string) =>
      adminMarker && k.startsWith(ADMIN_KEY_MARKER) ? k.slice(ADMIN_KEY_MARKER.length) : k;
    const bad = keys.findIndex((k) => bare(k).length < MIN_API_KEY_LENGTH || /\s/.test(k));
    if (bad >= 0) {
      this.fail(name, `key ${bad + 1} must be at least ${MIN_API_KEY_LENGTH} characters without spaces`);
      return [];
    }
    return keys;
  }

  /** `user:password` pairs, comma-separated; passwords of 16+ characters. Unset: none. */
  basicCredentials(name: string): { username: string; password: string }[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    const out: { username: string; password: string }[] = [];
    for (const [i, pair] of v.split(',').entries()) {
      const at = pair.indexOf(':');
      const username = at > 0 ? pair.slice(0, at).trim() : '';
      const password = at > 0 ? pair.slice(at + 1).trim() : '';
      if (!username || /\s/.test(username) || password.length < MIN_API_KEY_LENGTH || /\s/.test(password)) {
        this.fail(
          name,
          `credential ${i + 1} must be USERNAME:PASSWORD, the password at least ${MIN_API_KEY_LENGTH} characters, no spaces`,
        );
        return [];
      }
      out.push({ username, password });
    }
    return out;
  }

  originList(name: string): string[] | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const origins = v.split(',').map((o) => o.trim());
    for (const o of origins) {
      if (o === '*') continue;
      try {
        const u = new URL(o);
        if (u.origin !== o.replace(/\/$/, ''))
          return this.fail(name, `"${o}" is not an origin such as http://localhost:8233`);
      } catch {
        return this.fail(name, `"${o}" is not an origin such as http://localhost:8233`);
      }
    }
    return origins.map((o) => o.replace(/\/$/, ''));
  }

  /** A key given as hex or base64 of at least 32 bytes. */
  secretBytes(name: string, required: boolean): Buffer {
    const v = this.raw(name);
    if (v === undefined) {
      if (required)
        this.fail(name, 'is required but not set (32+ random bytes, hex or base64: `openssl rand -hex 32`)');
      return Buffer.alloc(0);
    }
    const bytes = decodeKey(v);
    if (!bytes || bytes.length < 32) {
      this.fail(name, 'must be at least 32 bytes, hex or base64 encoded (`openssl rand -hex 32`)');
      return Buffer.alloc(0);
    }
    return bytes;
  }

  encryptionKeys(name: string): { id: string; key: Buffer }[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    const keys: { id: string; key: Buffer }[] = [];
    for (const [i, entry] of v.split(',').entries()) {
      const at = entry.indexOf(':');
      const id = entry.slice(0, at).trim();
      const material = entry.slice(at + 1).trim();
      if (at < 1 || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
        this.fail(
          name,
          `entry ${i + 1} must be keyId:base64key with an id of letters, digits, . _ - (e.g. k2026:$(openssl rand -base64 32))`,
        );
        continue;
      }
      if (keys.some((k) => k.id === id)) {
        this.fail(name, `key id "${id}" appears twice`);
        continue;
      }
      const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(material) ? Buffer.from(material, 'base64') : undefined;
      if (!key || key.length !== 32) {
        this.fail(name, `key "${id}" must be exactly 32 bytes, base64 encoded (openssl rand -base64 32)`);
        continue;
      }
      keys.push({ id, key });
    }
    return keys;
  }
}

function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return Buffer.from(text, 'base64');
  return undefined;
}
