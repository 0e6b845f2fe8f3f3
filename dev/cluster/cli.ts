/**
 * `otpflow cluster` (= `npm run cluster`): the production topology on this machine — PostgreSQL,
 * the Temporal server on it, its Web UI, the emulator, several workers and API instances as
 * separate processes — then one block saying where everything is. Ctrl-C stops it all; a part
 * that dies stops the rest, and the command exits 1 naming it.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isConfigError } from '../../config/errors';
import { ExitCode } from '../../cli/exit-codes';
import { PortInUseError } from '../ports';
import { formatRunningBlock, onStopSignals } from '../stack-parts';
import { ClusterToolError, resolveClusterBinaries, TEMPORAL_SERVER_VERSION } from './binaries';
import { serverPorts } from './config-files';
import { startCluster, type Cluster, type ClusterOptions } from './cluster';

export const CLUSTER_USAGE = `Usage: otpflow cluster [options]     (npm run cluster)

Runs otpflow as a small production deployment does, on this machine: PostgreSQL, the Temporal
server ${TEMPORAL_SERVER_VERSION} on it (all services in one process), its Web UI, the Infobip emulator, and
N workers and M API instances as separate processes. Prints where everything is; Ctrl-C stops
it all, and a part that dies stops the rest.

Options (defaults in brackets):
  --data DIR            keep PostgreSQL's data, the emulator, secrets and logs in DIR
                        [.otpflow/cluster]; the next run reuses them
  --clean               delete DIR's state first: a fresh cluster
  --workers N           worker processes [2]
  --api-instances M     API processes [2]
  --port N              Temporal gRPC [7233]; the server also takes N+1, N+2, N+6, N+10
                        and N−300, N−299, N−298, N−294 (Temporal's own layout)
  --postgres-port N     PostgreSQL [5433]
  --ui-port N           Temporal Web UI [8233], 0 for none
  --api-port N          first API instance [8080]; the others on the next ports
  --emulator-port N     Infobip emulator [8090]
  --codec-port N        codec endpoint [8888]
  --metrics-port N      first worker's Prometheus metrics [9464], the others on the next
                        ports; 0 for none
  --no-encryption       leave payloads unencrypted (no codec endpoint)
  --verbose             every part's output on stderr too (always in DIR/logs/)
  -h, --help            show this help

Secrets come from OTPFLOW_API_KEYS, OTPFLOW_DESTINATION_HASH_KEY and OTPFLOW_ENCRYPTION_KEYS
when set; otherwise they are generated once and kept in DIR/secrets.json. The binaries are
found like the Temporal CLI (TEMPORAL_SERVER_PATH, TEMPORAL_SQL_TOOL_PATH,
TEMPORAL_UI_SERVER_PATH, PATH, .tools/bin); \`npm run cluster\` builds missing ones.`;

class UsageError extends Error {}

type Flags = Omit<ClusterOptions, 'binaries' | 'log' | 'env'>;

function parseFlags(argv: string[]): Flags | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: { type: 'string' },
      clean: { type: 'boolean' },
      workers: { type: 'string' },
      'api-instances': { type: 'string' },
      port: { type: 'string' },
      'postgres-port': { type: 'string' },
      'ui-port': { type: 'string' },
      'api-port': { type: 'string' },
      'emulator-port': { type: 'string' },
      'codec-port': { type: 'string' },
      'metrics-port': { type: 'string' },
      'no-encryption': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const int = (name: keyof typeof values, fallback: number, min: number, max: number): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) {
      throw new UsageError(`--${name} must be a whole number ${min}–${max}, got "${String(raw)}"`);
    }
    return n;
  };
  const workers = int('workers', 2, 1, 16);
  const apis = int('api-instances', 2, 1, 16);
  const port = int('port', 7233, 301, 65525);
  const portsFrom = (name: keyof typeof values, fallback: number, count: number, allowZero: boolean) => {
    const n = int(name, fallback, allowZero ? 0 : 1, 65535);
    if (n !== 0 && n + count - 1 > 65535)
      throw new UsageError(`--${name} ${n} leaves no room for ${count} ports`);
    return n;
  };
  return {
    dataDir: path.resolve(typeof values.data === 'string' ? values.data : '.otpflow/cluster'),
    clean: values.clean === true,
    workers,
    apis,
    port,
    postgresPort: portsFrom('postgres-port', 5433, 1, false),
    uiPort: portsFrom('ui-port', 8233, 1, true),
    apiPort: portsFrom('api-port', 8080, apis, false),
    emulatorPort: portsFrom('emulator-port', 8090, 1, false),
    codecPort: portsFrom('codec-port', 8888, 1, false),
    metricsPort: portsFrom('metrics-port', 9464, workers, true),
    encryption: values['no-encryption'] !== true,
    verbose: values.verbose === true,
  };
}

/** The block printed once the cluster runs. */
export function formatClusterBlock(c: Cluster, encryptionKeyId?: string): string {
  const sp = serverPorts(Number(c.urls.temporalAddress.split(':').pop()));
  const rows: [string, string][] = [
    ['Temporal Web UI', c.urls.webUi ?? 'off (--ui-port 0)'],
    [
      'Temporal gRPC',
      `${c.urls.temporalAddress}  (namespace ${c.namespace}, cluster ${c.clusterName}, server ${TEMPORAL_SERVER_VERSION}, all services in one process, pid ${c.temporal.pid})`,
    ],
    ['PostgreSQL', `${c.urls.postgres}  (databases temporal, temporal_visibility; pid ${c.postgres.pid})`],
    ...c.apis.map((a, i): [string, string] => [
      `otpflow API ${i + 1}`,
      `${c.urls.apis[i]}  (OpenAPI: ${c.urls.apis[i]}/openapi.json; pid ${a.pid})`,
    ]),
    ['API key', c.apiKey],
    ...c.workers.map((w, i): [string, string] => [
      `Worker ${i + 1}`,
      `pid ${w.pid}, metrics ${c.urls.metrics[i] ?? 'off'}`,
    ]),
    ['Emulator inbox', c.urls.inbox ?? 'off'],
    [
      'Delivery reports',
      c.urls.deliveryReports ? `${c.urls.deliveryReports}  (the emulator pushes here)` : 'off',
    ],
    ['Infobip emulator', `${c.urls.emulator ?? 'off'}  (${c.setupNote ?? ''})`],
    [
      'Codec endpoint',
      c.urls.codec
        ? `${c.urls.codec}  (payloads encrypted with key "${encryptionKeyId}")`
        : 'off (payloads not encrypted)',
    ],
    ['State', `${c.dataDir}  (kept for the next run; --clean starts afresh)`],
    ['Logs', `${path.join(c.dataDir, 'logs')}/`],
    [
      'Server ports',
      `gRPC ${sp.frontend}, ${sp.history}, ${sp.matching}, ${sp.worker}; HTTP ${sp.frontendHttp}; membership ${sp.frontendMembership}–${sp.workerMembership}`,
    ],
  ];
  return formatRunningBlock('otpflow cluster is running', rows, {
    api: c.urls.apis[0] ?? '',
    apiKey: c.apiKey,
    emulator: c.urls.emulator ?? '',
    inbox: c.urls.inbox ?? '',
    exports: {
      TEMPORAL_ADDRESS: c.urls.temporalAddress,
      TEMPORAL_NAMESPACE: c.namespace,
      OTPFLOW_DESTINATION_HASH_KEY: c.env.OTPFLOW_DESTINATION_HASH_KEY,
      OTPFLOW_ENCRYPTION_KEYS: c.env.OTPFLOW_ENCRYPTION_KEYS,
      OTPFLOW_API_KEYS: c.env.OTPFLOW_API_KEYS,
      INFOBIP_BASE_URL: c.env.INFOBIP_BASE_URL,
      INFOBIP_API_KEY: c.env.INFOBIP_API_KEY,
    },
  });
}

/** Runs the cluster until SIGINT/SIGTERM or a part dies; resolves with the exit status. */
export async function runClusterCli(argv: string[]): Promise<number> {
  let flags: Flags | 'help';
  try {
    flags = parseFlags(argv);
  } catch (err) {
    console.error(`otpflow cluster: ${(err as Error).message}\n\n${CLUSTER_USAGE}`);
    return ExitCode.BAD_INPUT;
  }
  if (flags === 'help') {
    console.log(CLUSTER_USAGE);
    return ExitCode.OK;
  }
  const f = flags;
  const progress = (m: string) => console.error(`otpflow cluster: ${m}`);

  let binaries;
  try {
    binaries = resolveClusterBinaries({ build: false, ui: f.uiPort !== 0 });
  } catch (err) {
    if (!(err instanceof ClusterToolError)) throw err;
    progress(err.message);
    return ExitCode.FAILED;
  }

  let cluster: Cluster | undefined;
  const signals = onStopSignals(progress, () => cluster?.kill());
  try {
    const starting = startCluster({ ...f, binaries, log: progress });
    // A signal during start-up waits for the start to finish or fail, then stops it all.
    cluster = await starting;
    console.log(formatClusterBlock(cluster, cluster.config.encryptionKeys[0]?.id));
    if (signals.requested()) return ExitCode.OK;
    const failure = await Promise.race([signals.stopped.then(() => undefined), cluster.failure]);
    if (failure === undefined) return ExitCode.OK;
    progress(`${failure.trim()}\nstopping everything`);
    return ExitCode.FAILED;
  } catch (err) {
    if (err instanceof PortInUseError) {
      for (const line of err.message.split('\n')) progress(line);
      return ExitCode.FAILED;
    }
    if (isConfigError(err)) {
      console.error((err as Error).message);
      return ExitCode.CONFIG;
    }
    progress(`failed: ${(err as Error).message}`);
    return ExitCode.FAILED;
  } finally {
    await cluster?.stop();
    signals.dispose();
    progress('stopped.');
  }
}
