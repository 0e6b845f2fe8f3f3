/**
 * `otpflow dev` (= `npm start`): the whole stack on loopback in one command — a Temporal dev
 * server (child process, with its Web UI), the Infobip emulator, `setup` against it, a worker,
 * the HTTP API and the codec endpoint — then one block saying where everything is.
 * Ctrl-C / SIGTERM stops all of it, the `temporal` child included.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { NativeConnection, type Runtime } from '@temporalio/worker';
import { connectOtp } from '../client/connect';
import { apiKeysOf } from '../api/main';
import { createApiServer } from '../api/server';
import { deliveryReportOptions } from '../api/delivery-reports';
import { loadConfig } from '../config/load';
import { resolveTemporalCli, systemProbe } from '../scripts/temporal-cli';
import { DEFAULT_API_KEY } from '../emulator';
import { createOtpWorker } from '../worker/create-worker';
import { ExitCode } from '../cli/exit-codes';
import { loadOrExit } from '../cli/process-command';
import { createLogger } from '../worker/logging';
import { installRuntime } from '../worker/main';
import { checkPorts, describeTaken, PortInUseError, type PortClaim } from './ports';
import { loadOrCreateSecrets } from './secrets';
import {
  formatRunningBlock,
  localStackEnv,
  onStopSignals,
  startLocalCodec,
  startSetUpEmulator,
  subscribeEmulatorToIngress,
} from './stack-parts';
import { DevServerError, startDevServer, type DevServer } from './temporal-server';

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
  /** The delivery-report ingress the emulator pushes to. */
  deliveryReports?: string;
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

/** Every port the stack will listen on, with the flag that moves it. */
export function devPortClaims(f: Flags, encryption: boolean): PortClaim[] {
  return [
    { port: f.port, what: 'Temporal gRPC', flag: '--port' },
    { port: f.uiPort, what: 'Temporal Web UI', flag: '--ui-port' },
    { port: f.apiPort, what: 'otpflow API', flag: '--api-port' },
    { port: f.emulatorPort, what: 'Infobip emulator', flag: '--emulator-port' },
    ...(encryption ? [{ port: f.codecPort, what: 'codec endpoint', flag: '--codec-port' }] : []),
    { port: f.metricsPort, what: 'worker metrics', flag: '--metrics-port' },
  ];
}

/**
 * Why the start-up failed, in one line: a port taken after the check (a bind error, or another
 * Temporal server answering on ours) names the port and its flag.
 */
function startupFailure(err: unknown, claims: PortClaim[]): string {
  const e = err as { code?: string; port?: number; message?: string };
  if (e.code === 'EADDRINUSE') {
    const claim = claims.find((c) => c.port === e.port);
    if (claim) return describeTaken(claim);
  }
  if (err instanceof DevServerError && err.foreign) {
    return `${err.message}; choose another port with --port`;
  }
  return e.message ?? String(err);
}

/** `FILE.db` → `FILE.<suffix>` next to it. */
function sibling(dbFile: string, suffix: string): string {
  const ext = path.extname(dbFile);
  return path.join(path.dirname(dbFile), `${path.basename(dbFile, ext)}.${suffix}`);
}

/** The block printed once everything is up. */
export function formatBlock(
  urls: DevStackUrls,
  notes: { setup: string; state: string; encryption: string },
): string {
  const rows: [string, string][] = [
    ['Temporal Web UI', urls.webUi],
    ['Temporal gRPC', `${urls.temporalAddress}  (namespace default)`],
    ['otpflow API', `${urls.api}  (OpenAPI: ${urls.api}/openapi.json)`],
    ['API key', urls.apiKey],
    ['Emulator inbox', urls.inbox],
    ['Infobip emulator', `${urls.emulator}  (${notes.setup})`],
    ['Codec endpoint', urls.codec ? `${urls.codec}  (${notes.encryption})` : 'off (payloads not encrypted)'],
    ['Metrics', urls.metrics ?? 'off'],
    ...(urls.deliveryReports
      ? ([['Delivery reports', `${urls.deliveryReports}  (the emulator pushes here)`]] as [string, string][])
      : []),
    ['State', notes.state],
  ];
  return formatRunningBlock('otpflow dev stack is running', rows, urls);
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
  const env = localStackEnv(process.env, secrets, f.encryption);
  const config = loadOrExit(() => loadConfig(env, { require: ['destinationHashKey', 'apiKeys'] }));
  if (typeof config === 'number') return config;
  const cli = resolveTemporalCli(systemProbe, { build: false });
  if (cli.source === 'sdk-download') {
    console.error(
      `otpflow dev: no Temporal CLI found (${cli.reason}). Run \`npm start\` (it builds one) or set TEMPORAL_CLI_PATH.`,
    );
    return ExitCode.FAILED;
  }
  // Every port is checked before anything starts: a taken one is refused with its flag.
  const claims = devPortClaims(f, config.encryptionKeys.length > 0);
  try {
    await checkPorts(claims);
  } catch (err) {
    if (!(err instanceof PortInUseError)) throw err;
    for (const line of err.message.split('\n')) progress(line);
    return ExitCode.FAILED;
  }

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) {
      await fn().catch((err: unknown) => progress(`while stopping: ${(err as Error).message}`));
    }
    cleanups.length = 0;
  };
  let forceKill: () => void = () => undefined;
  const signals = onStopSignals(progress, () => forceKill());

  let runtime: Runtime | undefined;
  try {
    const logger = f.verbose
      ? createLogger(config.worker?.logLevel ?? 'info', pino.destination(2))
      : // Without --verbose only errors: retried activity failures and the like are expected here.
        createLogger('error', pino.destination(2));
    runtime = installRuntime(logger, f.metricsPort ? `127.0.0.1:${f.metricsPort}` : undefined, []);

    const codec = await startLocalCodec(config, { port: f.codecPort, uiPort: f.uiPort, logger });
    if (codec) cleanups.push(() => codec.close());

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
    if (signals.requested()) return ExitCode.OK;

    const { emulator, note: setupNote } = await startSetUpEmulator(config, {
      port: f.emulatorPort,
      dataFile: f.db ? sibling(f.db, 'emulator.json') : undefined,
      verbose: f.verbose,
      progress,
    });
    cleanups.push(() => emulator.close());
    config.temporal = {
      ...config.temporal,
      namespace: server.namespace,
      connect: { connectionOptions: { address: server.address }, namespace: server.namespace },
    };

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
      deliveryReports: deliveryReportOptions(config, connected.client),
      rateLimit: config.api.rateLimit,
    });
    await api.listen({ host: '127.0.0.1', port: f.apiPort });
    cleanups.push(() => api.close());
    const apiUrl = `http://127.0.0.1:${(api.server.address() as { port: number }).port}`;
    const reportsUrl = subscribeEmulatorToIngress(emulator, apiUrl, config);

    const urls: DevStackUrls = {
      temporalAddress: server.address,
      webUi: server.uiUrl,
      api: apiUrl,
      apiKey: config.api.keys[0] ?? config.api.adminKeys[0] ?? '',
      emulator: emulator.url,
      inbox: `${emulator.url}/emulator`,
      codec: codec?.url,
      metrics: f.metricsPort ? `http://127.0.0.1:${f.metricsPort}/metrics` : undefined,
      deliveryReports: reportsUrl,
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
        setup: setupNote,
        state: f.db
          ? `${f.db} (+ ${sibling(f.db, 'emulator.json')}, ${sibling(f.db, 'secrets.json')})`
          : 'in memory (use --db FILE to keep it)',
        encryption: `payloads encrypted with key "${config.encryptionKeys[0]?.id}"`,
      }),
    );

    // Stop on a signal, or when the worker or the Temporal server dies on its own.
    const serverDied = new Promise<void>((resolve) =>
      server.onUnexpectedExit((why) => {
        progress(`the Temporal dev server ${why}; stopping everything`);
        resolve();
      }),
    );
    await Promise.race([signals.stopped, running.then(() => undefined), serverDied]);
    return signals.requested() ? ExitCode.OK : ExitCode.FAILED;
  } catch (err) {
    // Ctrl-C in a terminal reaches the temporal child too; a start-up cut short by it is no failure.
    if (signals.requested()) return ExitCode.OK;
    progress(`failed: ${startupFailure(err, claims)}`);
    return ExitCode.FAILED;
  } finally {
    await cleanup();
    // An installed Runtime keeps the process alive until it is shut down, which happens by
    // itself only once it has had a connection or worker: a start-up that failed before would
    // leave `otpflow dev` hanging after "stopped.".
    await runtime?.shutdown();
    signals.dispose();
    progress('stopped.');
  }
}
