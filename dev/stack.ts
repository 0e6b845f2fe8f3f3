/**
 * `otpflow dev` (= `npm start`): the whole stack on loopback in one command — a Temporal dev
 * server (child process, with its Web UI), the Infobip emulator, `setup` against it, a worker,
 * the HTTP API and the codec endpoint — then one block saying where everything is.
 * Ctrl-C / SIGTERM stops all of it, the `temporal` child included.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { NativeConnection } from '@temporalio/worker';
import { connectOtp } from '../client/connect';
import { apiKeysOf } from '../api/main';
import { createApiServer } from '../api/server';
import { EncryptionCodec } from '../codec/encryption-codec';
import { createCodecServer, type CodecServer } from '../codec/server';
import { loadConfig } from '../config/load';
import { createEmulator, DEFAULT_API_KEY, type Emulator } from '../emulator';
import { resolveTemporalCli, systemProbe } from '../scripts/temporal-cli';
import { createOtpWorker } from '../worker/create-worker';
import { ExitCode } from '../cli/exit-codes';
import { loadOrExit } from '../cli/process-command';
import { createLogger } from '../worker/logging';
import { installRuntime } from '../worker/main';
import { runSetup } from '../setup/main';
import { loadOrCreateSecrets } from './secrets';
import { startDevServer, type DevServer } from './temporal-server';

export const DEV_USAGE = `Usage: otpflow dev [options]     (npm start)

Starts a Temporal dev server (with its Web UI), the Infobip emulator, a worker, the HTTP API
and the codec endpoint on 127.0.0.1, sets the emulator up from the applications file, and
prints where everything is. Ctrl-C stops it all.

Options (defaults in brackets):
  --port N            Temporal gRPC port [7233]
  --ui-port N         Temporal Web UI port [8233]
  --api-port N        otpflow HTTP API port [8080]
  --emulator-port N   Infobip emulator port [8090]
  --codec-port N      codec endpoint port [8888]
  --metrics-port N    worker Prometheus metrics port, 0 for none [9464]
  --db FILE           keep Temporal's state in FILE (SQLite), the emulator's and the generated
                      secrets beside it: dev.db → dev.emulator.json, dev.secrets.json
  --no-encryption     leave payloads unencrypted (no codec endpoint)
  --verbose           worker and API logs on stderr (JSON)
  -h, --help          show this help

Secrets come from OTPFLOW_API_KEYS, OTPFLOW_DESTINATION_HASH_KEY and OTPFLOW_ENCRYPTION_KEYS
when set; otherwise development values are generated. The applications file is OTPFLOW_CONFIG
(default otpflow.config.json).`;

/** Everything the stack listens on, as printed. */
export interface DevStackUrls {
  temporalAddress: string;
  webUi: string;
  api: string;
  apiKey: string;
  emulator: string;
  inbox: string;
  codec?: string;
  metrics?: string;
  /** Variables a second terminal needs (the CLI, a client, real-Infobip tools), printed as `export` lines. */
  exports?: Record<string, string | undefined>;
}

interface Flags {
  port: number;
  uiPort: number;
  apiPort: number;
  emulatorPort: number;
  codecPort: number;
  metricsPort: number;
  db?: string;
  encryption: boolean;
  verbose: boolean;
}

class UsageError extends Error {}

function parseFlags(argv: string[]): Flags | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      'ui-port': { type: 'string' },
      'api-port': { type: 'string' },
      'emulator-port': { type: 'string' },
      'codec-port': { type: 'string' },
      'metrics-port': { type: 'string' },
      db: { type: 'string' },
      'no-encryption': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const port = (name: keyof typeof values, fallback: number, allowZero = false): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n > 65535 || (n === 0 && !allowZero)) {
      throw new UsageError(
        `--${name} must be a port number 1–65535${allowZero ? ' (or 0)' : ''}, got "${String(raw)}"`,
      );
    }
    return n;
  };
  return {
    port: port('port', 7233),
    uiPort: port('ui-port', 8233),
    apiPort: port('api-port', 8080),
    emulatorPort: port('emulator-port', 8090),
    codecPort: port('codec-port', 8888),
    metricsPort: port('metrics-port', 9464, true),
    db: values.db ? path.resolve(values.db) : undefined,
    encryption: !values['no-encryption'],
    verbose: values.verbose === true,
  };
}

/** `FILE.db` → `FILE.<suffix>` next to it. */
function sibling(dbFile: string, suffix: string): string {
  const ext = path.extname(dbFile);
  return path.join(path.dirname(dbFile), `${path.basename(dbFile, ext)}.${suffix}`);
}

/** `export NAME='value'` lines for a shell, empty values left out. */
function exportLines(vars: Record<string, string | undefined>): string[] {
  return Object.entries(vars)
    .filter((e): e is [string, string] => Boolean(e[1]))
    .map(([name, value]) => `  export ${name}='${value.replace(/'/g, `'\\''`)}'`);
}

/** The block printed once everything is up. */
export function formatBlock(
  urls: DevStackUrls,
  notes: { setup: string; state: string; encryption: string },
): string {
  const exports = urls.exports ?? {};
  const phone = '+41793026727';
  const auth = `-H 'Authorization: Bearer ${urls.apiKey}' -H 'Content-Type: application/json'`;
  const rows: [string, string][] = [
    ['Temporal Web UI', urls.webUi],
    ['Temporal gRPC', `${urls.temporalAddress}  (namespace default)`],
    ['otpflow API', `${urls.api}  (OpenAPI: ${urls.api}/openapi.json)`],
    ['API key', urls.apiKey],
    ['Emulator inbox', urls.inbox],
    ['Infobip emulator', `${urls.emulator}  (${notes.setup})`],
    ['Codec endpoint', urls.codec ? `${urls.codec}  (${notes.encryption})` : 'off (payloads not encrypted)'],
    ['Metrics', urls.metrics ?? 'off'],
    ['State', notes.state],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    '',
    '━━ otpflow dev stack is running ━━ Ctrl-C stops everything',
    '',
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
    'Try it:',
    `  curl -s -X POST ${urls.api}/v1/verifications ${auth} \\`,
    `    -d '{"application":"login","to":"${phone}"}'`,
    `  # the PIN arrives in the inbox: ${urls.inbox}  (or: curl -s '${urls.emulator}/emulator/messages?to=${phone.slice(1)}')`,
    `  curl -s -X POST ${urls.api}/v1/verifications/<id>/check ${auth} \\`,
    `    -d '{"code":"<PIN>"}'`,
    ...(Object.keys(exports).length > 0
      ? ['', 'For the CLI (npx otpflow start …) and your code, in another terminal:', ...exportLines(exports)]
      : []),
    '',
  ].join('\n');
}

/** Runs the dev stack until SIGINT/SIGTERM; resolves with the exit status. */
export async function runDevCli(argv: string[]): Promise<number> {
  let flags: Flags | 'help';
  try {
    flags = parseFlags(argv);
  } catch (err) {
    console.error(`otpflow dev: ${(err as Error).message}\n\n${DEV_USAGE}`);
    return ExitCode.BAD_INPUT;
  }
  if (flags === 'help') {
    console.log(DEV_USAGE);
    return ExitCode.OK;
  }
  const f = flags;
  const progress = (m: string) => console.error(`otpflow dev: ${m}`);

  const secrets = loadOrCreateSecrets(f.db ? sibling(f.db, 'secrets.json') : undefined);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OTPFLOW_API_KEYS: process.env.OTPFLOW_API_KEYS || secrets.apiKey,
    OTPFLOW_DESTINATION_HASH_KEY: process.env.OTPFLOW_DESTINATION_HASH_KEY || secrets.destinationHashKey,
    OTPFLOW_ENCRYPTION_KEYS: f.encryption ? process.env.OTPFLOW_ENCRYPTION_KEYS || secrets.encryptionKey : '',
    // The emulator stands in for Infobip; a real account's settings must not reach it.
    INFOBIP_BASE_URL: undefined,
    INFOBIP_API_KEY: DEFAULT_API_KEY,
    // The stack's own Temporal, never a profile or cloud settings from the environment.
    TEMPORAL_CONFIG_FILE: undefined,
    TEMPORAL_PROFILE: undefined,
  };
  const config = loadOrExit(() => loadConfig(env, { require: ['destinationHashKey', 'apiKeys'] }));
  if (typeof config === 'number') return config;
  const cli = resolveTemporalCli(systemProbe, { build: false });
  if (cli.source === 'sdk-download') {
    console.error(
      `otpflow dev: no Temporal CLI found (${cli.reason}). Run \`npm start\` (it builds one) or set TEMPORAL_CLI_PATH.`,
    );
    return ExitCode.FAILED;
  }

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) {
      await fn().catch((err: unknown) => progress(`while stopping: ${(err as Error).message}`));
    }
    cleanups.length = 0;
  };
  let stopRequested = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  let forceKill: () => void = () => undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      progress(`${signal} again: killing everything now`);
      forceKill();
      process.exit(ExitCode.INTERRUPTED);
    }
    stopRequested = true;
    progress(`${signal} received, stopping…`);
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const logger = f.verbose
      ? createLogger(config.worker?.logLevel ?? 'info', pino.destination(2))
      : // Without --verbose only errors: retried activity failures and the like are expected here.
        createLogger('error', pino.destination(2));
    installRuntime(logger, f.metricsPort ? `127.0.0.1:${f.metricsPort}` : undefined, []);

    let codec: CodecServer | undefined;
    if (config.encryptionKeys.length > 0) {
      codec = await createCodecServer({
        codec: new EncryptionCodec(config.encryptionKeys),
        corsOrigins: [`http://127.0.0.1:${f.uiPort}`, `http://localhost:${f.uiPort}`],
        apiKeys: config.codecServer?.apiKeys ?? [],
        host: '127.0.0.1',
        port: f.codecPort,
        onError: (err) => logger.warn({ err }, 'codec request failed'),
      });
      cleanups.push(() => codec!.close());
    }

    progress(`starting the Temporal dev server (${cli.path})…`);
    const server: DevServer = await startDevServer({
      cliPath: cli.path,
      port: f.port,
      uiPort: f.uiPort,
      dbFile: f.db,
      uiCodecEndpoint: codec?.url,
    });
    cleanups.push(() => server.stop());
    forceKill = () => server.kill();
    if (stopRequested) return ExitCode.OK;

    const emulator: Emulator = await createEmulator({
      host: '127.0.0.1',
      port: f.emulatorPort,
      apiKeys: [DEFAULT_API_KEY],
      dataFile: f.db ? sibling(f.db, 'emulator.json') : undefined,
    });
    cleanups.push(() => emulator.close());
    config.infobip = { baseUrl: emulator.url, apiKey: DEFAULT_API_KEY };
    config.temporal = {
      ...config.temporal,
      namespace: server.namespace,
      connect: { connectionOptions: { address: server.address }, namespace: server.namespace },
    };

    const setupLines: string[] = [];
    const report = await runSetup(config, { out: (l) => setupLines.push(l) });
    if (f.verbose) for (const l of setupLines) progress(`setup: ${l}`);
    const changes = report.reduce((n, r) => n + r.result.changes.length, 0);

    progress('starting the worker and the API…');
    const connection = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const { worker, close: closeWorker } = await createOtpWorker({ config, connection, logger });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await closeWorker();
    });

    const connected = await connectOtp(config, { watchGuard: true });
    cleanups.push(() => connected.close());
    const api = createApiServer({
      otp: connected.otp,
      apiKeys: apiKeysOf(config),
      logger: f.verbose ? logger : false,
      ready: () => connected.ping(),
      rateLimit: config.api.rateLimit,
    });
    await api.listen({ host: '127.0.0.1', port: f.apiPort });
    cleanups.push(() => api.close());
    const apiUrl = `http://127.0.0.1:${(api.server.address() as { port: number }).port}`;

    const urls: DevStackUrls = {
      temporalAddress: server.address,
      webUi: server.uiUrl,
      api: apiUrl,
      apiKey: config.api.keys[0] ?? config.api.adminKeys[0] ?? '',
      emulator: emulator.url,
      inbox: `${emulator.url}/emulator`,
      codec: codec?.url,
      metrics: f.metricsPort ? `http://127.0.0.1:${f.metricsPort}/metrics` : undefined,
      exports: {
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        OTPFLOW_DESTINATION_HASH_KEY: env.OTPFLOW_DESTINATION_HASH_KEY,
        OTPFLOW_ENCRYPTION_KEYS: env.OTPFLOW_ENCRYPTION_KEYS,
        OTPFLOW_API_KEYS: env.OTPFLOW_API_KEYS,
        INFOBIP_BASE_URL: emulator.url,
        INFOBIP_API_KEY: DEFAULT_API_KEY,
      },
    };
    console.log(
      formatBlock(urls, {
        setup:
          changes === 0
            ? `applications up to date: ${config.applications.map((a) => a.name).join(', ')}`
            : `set up ${config.applications.map((a) => a.name).join(', ')}: ${changes} change(s)`,
        state: f.db
          ? `${f.db} (+ ${sibling(f.db, 'emulator.json')}, ${sibling(f.db, 'secrets.json')})`
          : 'in memory (use --db FILE to keep it)',
        encryption: `payloads encrypted with key "${config.encryptionKeys[0]?.id}"`,
      }),
    );

    // Stop on a signal, or when the worker dies on its own.
    await Promise.race([stopped, running.then(() => undefined)]);
    return stopRequested ? ExitCode.OK : ExitCode.FAILED;
  } catch (err) {
    // Ctrl-C in a terminal reaches the temporal child too; a start-up cut short by it is no failure.
    if (stopRequested) return ExitCode.OK;
    progress(`failed: ${(err as Error).message}`);
    return ExitCode.FAILED;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress('stopped.');
  }
}
