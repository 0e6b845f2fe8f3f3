/**
 * What the local stacks (`otpflow dev`, `otpflow cluster`) share: the environment their parts
 * run with, the emulator set up from the applications file, the codec endpoint for the Web UI,
 * and the block they print once everything is up.
 */
import type { Logger } from 'pino';
import { EncryptionCodec } from '../codec/encryption-codec';
import { createCodecServer, type CodecServer } from '../codec/server';
import type { OtpflowConfig } from '../config/types';
import { createEmulator, DEFAULT_API_KEY, type Emulator } from '../emulator';
import { DELIVERY_REPORTS_PATH } from '../api/delivery-reports';
import { ExitCode } from '../cli/exit-codes';
import { runSetup } from '../setup/main';
import type { DevSecrets } from './secrets';

/**
 * The environment of a local stack: the secrets from `base` when set, else the generated ones;
 * the emulator stands in for Infobip (a real account's settings must not reach it); the stack's
 * own Temporal, never a profile or cloud settings from the environment.
 */
export function localStackEnv(
  base: NodeJS.ProcessEnv,
  secrets: DevSecrets,
  encryption: boolean,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    OTPFLOW_API_KEYS: base.OTPFLOW_API_KEYS || secrets.apiKey,
    OTPFLOW_DESTINATION_HASH_KEY: base.OTPFLOW_DESTINATION_HASH_KEY || secrets.destinationHashKey,
    OTPFLOW_ENCRYPTION_KEYS: encryption ? base.OTPFLOW_ENCRYPTION_KEYS || secrets.encryptionKey : '',
    OTPFLOW_DELIVERY_REPORT_CREDENTIALS:
      base.OTPFLOW_DELIVERY_REPORT_CREDENTIALS || secrets.deliveryReportCredentials,
    INFOBIP_API_KEY: DEFAULT_API_KEY,
  };
  for (const k of ['INFOBIP_BASE_URL', 'TEMPORAL_CONFIG_FILE', 'TEMPORAL_PROFILE']) delete env[k];
  return env;
}

/**
 * Starts the emulator and makes it match `config`'s applications (pointing `config.infobip` at
 * it); returns it and a note for the printed block.
 */
export async function startSetUpEmulator(
  config: OtpflowConfig,
  o: { port: number; dataFile?: string; verbose: boolean; progress: (m: string) => void },
): Promise<{ emulator: Emulator; note: string }> {
  const emulator = await createEmulator({
    host: '127.0.0.1',
    port: o.port,
    apiKeys: [DEFAULT_API_KEY],
    dataFile: o.dataFile,
  });
  try {
    config.infobip = { baseUrl: emulator.url, apiKey: DEFAULT_API_KEY };
    const lines: string[] = [];
    const report = await runSetup(config, { out: (l) => lines.push(l) });
    if (o.verbose) for (const l of lines) o.progress(`setup: ${l}`);
    const changes = report.reduce((n, r) => n + r.result.changes.length, 0);
    const names = config.applications.map((a) => a.name).join(', ');
    const note =
      changes === 0 ? `applications up to date: ${names}` : `set up ${names}: ${changes} change(s)`;
    return { emulator, note };
  } catch (err) {
    await emulator.close();
    throw err;
  }
}

/** The codec endpoint the Web UI on `uiPort` decodes payloads with, when `config` encrypts them. */
/**
 * Has the emulator push its delivery reports to the ingress of the API at `apiUrl`, as an Infobip
 * subscription would (with the first of the configured Basic credentials). Resolves to the
 * ingress URL, or `undefined` when no credentials are configured (the ingress would refuse).
 */
export function subscribeEmulatorToIngress(
  emulator: Emulator,
  apiUrl: string,
  config: OtpflowConfig,
): string | undefined {
  const basic = config.api.deliveryReportCredentials?.[0];
  if (!basic) return undefined;
  const url = `${apiUrl}${DELIVERY_REPORTS_PATH}`;
  emulator.reports.subscribe({ url, basic });
  return url;
}

export async function startLocalCodec(
  config: OtpflowConfig,
  o: { port: number; uiPort: number; logger: Logger },
): Promise<CodecServer | undefined> {
  if (config.encryptionKeys.length === 0) return undefined;
  return createCodecServer({
    codec: new EncryptionCodec(config.encryptionKeys),
    corsOrigins: [`http://127.0.0.1:${o.uiPort}`, `http://localhost:${o.uiPort}`],
    apiKeys: config.codecServer?.apiKeys ?? [],
    host: '127.0.0.1',
    port: o.port,
    onError: (err) => o.logger.warn({ err }, 'codec request failed'),
  });
}

/** A stack's Ctrl-C / SIGTERM handling (see `onStopSignals`). */
export interface StopSignals {
  /** Resolves at the first SIGINT or SIGTERM. */
  stopped: Promise<void>;
  requested(): boolean;
  /** Stops listening. */
  dispose(): void;
}

/**
 * The first SIGINT or SIGTERM asks the stack to stop (it stops its parts in order); a second
 * one calls `forceKill` and exits 130 at once.
 */
export function onStopSignals(progress: (m: string) => void, forceKill: () => void): StopSignals {
  let requested = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (requested) {
      progress(`${signal} again: killing everything now`);
      forceKill();
      process.exit(ExitCode.INTERRUPTED);
    }
    requested = true;
    progress(`${signal} received, stopping…`);
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopped,
    requested: () => requested,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Where a stack's first API instance and the emulator are, for the copy-paste example. */
export interface TryIt {
  api: string;
  apiKey: string;
  emulator: string;
  inbox: string;
  /** Variables a second terminal needs (the CLI, a client, real-Infobip tools), printed as `export` lines. */
  exports?: Record<string, string | undefined>;
}

/** `export NAME='value'` lines for a shell, empty values left out. */
function exportLines(vars: Record<string, string | undefined>): string[] {
  return Object.entries(vars)
    .filter((e): e is [string, string] => Boolean(e[1]))
    .map(([name, value]) => `  export ${name}='${value.replace(/'/g, `'\\''`)}'`);
}

/** The block a stack prints once it runs: a title, one row per part, and an example to try. */
export function formatRunningBlock(title: string, rows: [string, string][], t: TryIt): string {
  const phone = '+41793026727';
  const auth = `-H 'Authorization: Bearer ${t.apiKey}' -H 'Content-Type: application/json'`;
  const width = Math.max(...rows.map(([k]) => k.length));
  const exports = t.exports ?? {};
  return [
    '',
    `━━ ${title} ━━ Ctrl-C stops everything`,
    '',
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
    'Try it:',
    `  curl -s -X POST ${t.api}/v1/verifications ${auth} \\`,
    `    -d '{"application":"login","to":"${phone}"}'`,
    `  # the PIN arrives in the inbox: ${t.inbox}  (or: curl -s '${t.emulator}/emulator/messages?to=${phone.slice(1)}')`,
    `  curl -s -X POST ${t.api}/v1/verifications/<id>/check ${auth} \\`,
    `    -d '{"code":"<PIN>"}'`,
    ...(Object.keys(exports).length > 0
      ? ['', 'For the CLI (npx otpflow start …) and your code, in another terminal:', ...exportLines(exports)]
      : []),
    '',
  ].join('\n');
}
