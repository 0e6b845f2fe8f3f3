/**
 * The production topology on one machine: PostgreSQL, the Temporal server on it (one process,
 * all services), the Web UI, the Infobip emulator and codec endpoint (in this process), N
 * `otpflow worker` and M `otpflow api` processes. `startCluster` checks every port first,
 * starts the parts in order and stops what it started when one fails; the returned `Cluster`
 * reports the first part that dies unasked (`failure`) and lets tests stop, kill and restart
 * single parts.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { CodecServer } from '../../codec/server';
import { loadConfig } from '../../config/load';
import type { OtpflowConfig } from '../../config/types';
import type { Emulator } from '../../emulator';
import { createLogger } from '../../worker/logging';
import { checkPorts } from '../ports';
import { describeExit, type ExitInfo, type SupervisedChild } from '../processes';
import { loadOrCreateSecrets } from '../secrets';
import { dynamicConfigYaml, OTPFLOW_DYNAMIC_CONFIG } from '../server-flags';
import {
  localStackEnv,
  startLocalCodec,
  startSetUpEmulator,
  subscribeEmulatorToIngress,
} from '../stack-parts';
import type { ClusterBinaries } from './binaries';
import { configFilePath, serverConfig, serverPorts, toYaml, uiConfig } from './config-files';
import { ClusterStartError } from './errors';
import { ensureWorkflowBundle, startApiProcess, startWorkerProcess } from './otpflow-processes';
import { clusterPortClaims } from './ports';
import { initPostgres, startPostgres } from './postgres';
import { setUpSchema } from './schema';
import { ensureNamespace, startTemporalServer, startUiServer } from './temporal';

/** The namespace the cluster serves otpflow in. */
export const CLUSTER_NAMESPACE = 'default';
const PG_USER = 'temporal';

export { ClusterStartError };
export { clusterPortClaims, findFreeClusterPorts, type ClusterPorts } from './ports';

export interface ClusterOptions {
  /** Where everything is kept; reused by the next start. */
  dataDir: string;
  /** Delete `dataDir`'s state first. @default false */
  clean?: boolean;
  /** Temporal frontend gRPC; the server's other ports sit around it (`serverPorts`). */
  port: number;
  postgresPort: number;
  /** 0: no Web UI. */
  uiPort: number;
  /** The first API instance; the others on the next ports. */
  apiPort: number;
  /** 0: any free port. */
  emulatorPort: number;
  /** 0: any free port. */
  codecPort: number;
  /** The first worker's Prometheus port, the others on the next ports; 0: none. */
  metricsPort: number;
  workers: number;
  apis: number;
  encryption: boolean;
  /** Every part's output on stderr too. @default false */
  verbose?: boolean;
  binaries: ClusterBinaries;
  /** Server settings on top of otpflow's own (the bench's task queue partitions). */
  dynamicConfig?: Record<string, unknown>;
  /** The environment the secrets and the applications file come from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Run the emulator (needed by workers). @default true */
  emulator?: boolean;
  log?: (message: string) => void;
}

/** One process of the cluster: started, stopped, killed and started again under one name. */
export class ClusterPart {
  child?: SupervisedChild;
  constructor(
    readonly name: string,
    private readonly launch: () => Promise<SupervisedChild>,
    private readonly onFailure: (part: ClusterPart, exit: ExitInfo) => void,
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  running(): boolean {
    return this.child?.running() ?? false;
  }

  /** Starts it and waits until it is ready. */
  async start(): Promise<void> {
    const child = await this.launch();
    this.child = child;
    child.onUnexpectedExit((exit) => this.onFailure(this, exit));
    if (!child.running()) this.onFailure(this, await child.exited);
  }

  /** Asks it to stop (its stop signal, SIGKILL after `graceMs`). */
  async stop(graceMs?: number): Promise<void> {
    await this.child?.stop(graceMs);
  }

  /** Kills it (SIGKILL unless told otherwise); no failure is reported. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.child?.kill(signal);
  }
}

/** Where everything listens. */
export interface ClusterUrls {
  temporalAddress: string;
  postgres: string;
  webUi?: string;
  apis: string[];
  emulator?: string;
  inbox?: string;
  /** The delivery-report ingress the emulator pushes to (API instance 1's). */
  deliveryReports?: string;
  codec?: string;
  metrics: string[];
}

/** A running cluster. */
export interface Cluster {
  dataDir: string;
  clusterName: string;
  namespace: string;
  taskQueue: string;
  urls: ClusterUrls;
  apiKey: string;
  /** The environment the workers and APIs run with (secrets, Temporal, the emulator). */
  env: NodeJS.ProcessEnv;
  config: OtpflowConfig;
  /** What `startSetUpEmulator` did, for the printed block. */
  setupNote?: string;
  postgres: ClusterPart;
  temporal: ClusterPart;
  ui?: ClusterPart;
  workers: ClusterPart[];
  apis: ClusterPart[];
  emulator?: Emulator;
  /** Resolves with a message when a part ends without having been asked to. */
  failure: Promise<string>;
  /** Stops everything, last started first. */
  stop(): Promise<void>;
  /** Kills every process at once (a second Ctrl-C). */
  kill(): void;
}

/** What the cluster keeps about itself in `cluster.json`. */
interface ClusterState {
  clusterName: string;
  postgresPassword: string;
}

/** Creates (or with `clean`, empties) the data folder; refuses to delete a folder that is not a cluster's. */
function prepareDataDir(dir: string, clean: boolean): void {
  if (clean && existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(path.join(dir, 'cluster.json'))) {
      throw new ClusterStartError(
        `--clean: ${dir} is not an otpflow cluster's data folder (no cluster.json); not deleting it`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  // When PostgreSQL runs as the postgres user it must be able to enter the folder.
  if (process.getuid?.() === 0) chmodSync(dir, 0o755);
}

function loadOrCreateState(dir: string): ClusterState {
  const file = path.join(dir, 'cluster.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
  const state: ClusterState = {
    // Unique per data folder: the server answering on our port proves it is ours by this name.
    clusterName: `otpflow-${randomBytes(4).toString('hex')}`,
    postgresPassword: randomBytes(18).toString('base64url'),
  };
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return state;
}

/** Starts the cluster (see the module comment). Throws `PortInUseError` or `ClusterStartError`. */
export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const log = o.log ?? (() => undefined);
  const withEmulator = o.emulator !== false;
  if (o.workers > 0 && !withEmulator) throw new ClusterStartError('workers need the emulator');
  await checkPorts(clusterPortClaims(o));
  prepareDataDir(o.dataDir, o.clean === true);
  const state = loadOrCreateState(o.dataDir);
  const secrets = loadOrCreateSecrets(path.join(o.dataDir, 'secrets.json'));
  const address = `127.0.0.1:${o.port}`;
  const env = localStackEnv(o.env ?? process.env, secrets, o.encryption);
  env.TEMPORAL_ADDRESS = address;
  env.TEMPORAL_NAMESPACE = CLUSTER_NAMESPACE;
  const config = loadConfig(env, { require: ['destinationHashKey', 'apiKeys'] });
  const logFile = (name: string) => path.join(o.dataDir, 'logs', `${name}.log`);
  const echo = o.verbose === true;

  let failed: (message: string) => void = () => undefined;
  const failure = new Promise<string>((resolve) => (failed = resolve));
  const onFailure = (part: ClusterPart, exit: ExitInfo) =>
    failed(
      `${part.name} (pid ${part.pid}) ${describeExit(exit)}:\n${part.child?.output().split('\n').slice(-15).join('\n') ?? ''}`,
    );

  const started: (() => Promise<void>)[] = [];
  const processes: ClusterPart[] = [];
  const part = (name: string, launch: () => Promise<SupervisedChild>) => {
    const p = new ClusterPart(name, launch, onFailure);
    processes.push(p);
    return p;
  };
  const stop = async () => {
    for (const fn of started.splice(0).reverse())
      await fn().catch((err: unknown) => log(`while stopping: ${(err as Error).message}`));
  };

  try {
    // PostgreSQL, and the server's two databases on it.
    const pg = {
      binDir: o.binaries.postgresBin,
      dataDir: path.join(o.dataDir, 'postgres'),
      port: o.postgresPort,
      user: PG_USER,
      password: state.postgresPassword,
      logFile: logFile('postgres'),
      echo,
    };
    if (initPostgres(pg)) log(`created a PostgreSQL database cluster in ${pg.dataDir}`);
    log(`starting PostgreSQL on 127.0.0.1:${o.postgresPort}…`);
    const postgres = part('PostgreSQL', () => startPostgres(pg));
    await postgres.start();
    started.push(() => postgres.stop(30_000));
    await setUpSchema(o.binaries.sqlTool, pg, o.binaries.schemaDir);

    // The Temporal server, proven to be ours by its cluster name.
    const serverRoot = path.join(o.dataDir, 'temporal');
    const dynamicConfigFile = path.join(serverRoot, 'dynamicconfig.yaml');
    mkdirSync(path.join(serverRoot, 'config'), { recursive: true });
    writeFileSync(dynamicConfigFile, dynamicConfigYaml({ ...OTPFLOW_DYNAMIC_CONFIG, ...o.dynamicConfig }));
    writeFileSync(
      configFilePath(serverRoot, 'otpflow'),
      toYaml(
        serverConfig({
          clusterName: state.clusterName,
          ports: serverPorts(o.port),
          postgres: pg,
          dynamicConfigFile,
        }),
      ),
      { mode: 0o600 },
    );
    log(`starting the Temporal server on ${address} (all services in one process)…`);
    const server = part('Temporal server', () =>
      startTemporalServer({
        binary: o.binaries.server,
        root: serverRoot,
        address,
        clusterName: state.clusterName,
        logFile: logFile('temporal'),
        echo,
      }),
    );
    await server.start();
    started.push(() => server.stop(20_000));
    await ensureNamespace(address, CLUSTER_NAMESPACE);

    // In this process: the emulator (set up from the applications file) and the codec endpoint.
    const logger = createLogger(echo ? 'info' : 'warn', pino.destination(2));
    let emulator: Emulator | undefined;
    let setupNote: string | undefined;
    if (withEmulator) {
      ({ emulator, note: setupNote } = await startSetUpEmulator(config, {
        port: o.emulatorPort,
        dataFile: path.join(o.dataDir, 'emulator.json'),
        verbose: echo,
        progress: log,
      }));
      const e = emulator;
      started.push(() => e.close());
      env.INFOBIP_BASE_URL = e.url;
    }
    let codec: CodecServer | undefined;
    if (o.encryption) {
      codec = await startLocalCodec(config, { port: o.codecPort, uiPort: o.uiPort, logger });
      const c = codec;
      if (c) started.push(() => c.close());
    }

    let ui: ClusterPart | undefined;
    if (o.uiPort) {
      const uiRoot = path.join(o.dataDir, 'ui');
      mkdirSync(path.join(uiRoot, 'config'), { recursive: true });
      writeFileSync(
        configFilePath(uiRoot, 'otpflow'),
        toYaml(uiConfig({ temporalAddress: address, port: o.uiPort, codecEndpoint: codec?.url })),
      );
      const binary = o.binaries.ui;
      if (!binary) throw new ClusterStartError('no Web UI server binary');
      const u = part('Temporal Web UI', () =>
        startUiServer({ binary, root: uiRoot, port: o.uiPort, logFile: logFile('ui'), echo }),
      );
      ui = u;
      await u.start();
      started.push(() => u.stop(5_000));
    }

    // The otpflow processes: workers first (a start through an API needs one), then the APIs.
    const taskQueue = config.temporal.taskQueue;
    const workers = Array.from({ length: o.workers }, (_, i) =>
      part(`worker ${i + 1}`, () => launchWorker(i)),
    );
    const base = { env, address, namespace: CLUSTER_NAMESPACE, taskQueue, echo, logFile };
    const launchWorker = (i: number) =>
      startWorkerProcess({ ...base, index: i, metricsPort: o.metricsPort ? o.metricsPort + i : 0 });
    const apis = Array.from({ length: o.apis }, (_, i) => part(`API ${i + 1}`, () => launchApi(i)));
    const launchApi = (i: number) => startApiProcess({ ...base, index: i, port: o.apiPort + i });
    if (workers.length > 0) await ensureWorkflowBundle(config.encryptionKeys.length > 0, log);
    if (workers.length > 0) log(`starting ${workers.length} worker(s)…`);
    await Promise.all(workers.map((w) => w.start()));
    started.push(async () => void (await Promise.all(workers.map((w) => w.stop(30_000)))));
    if (apis.length > 0) log(`starting ${apis.length} API instance(s)…`);
    await Promise.all(apis.map((a) => a.start()));
    started.push(async () => void (await Promise.all(apis.map((a) => a.stop(10_000)))));
    // The emulator pushes its delivery reports to the first API instance's ingress, as an
    // Infobip subscription pushes to one URL (in production, a load balancer's).
    const deliveryReports =
      emulator && apis.length > 0
        ? subscribeEmulatorToIngress(emulator, `http://127.0.0.1:${o.apiPort}`, config)
        : undefined;

    return {
      dataDir: o.dataDir,
      clusterName: state.clusterName,
      namespace: CLUSTER_NAMESPACE,
      taskQueue,
      urls: {
        temporalAddress: address,
        postgres: `127.0.0.1:${o.postgresPort}`,
        webUi: o.uiPort ? `http://127.0.0.1:${o.uiPort}` : undefined,
        apis: apis.map((_, i) => `http://127.0.0.1:${o.apiPort + i}`),
        emulator: emulator?.url,
        inbox: emulator ? `${emulator.url}/emulator` : undefined,
        deliveryReports,
        codec: codec?.url,
        metrics: o.metricsPort ? workers.map((_, i) => `http://127.0.0.1:${o.metricsPort + i}/metrics`) : [],
      },
      apiKey: config.api.keys[0] ?? '',
      env,
      config,
      setupNote,
      postgres,
      temporal: server,
      ui,
      workers,
      apis,
      emulator,
      failure,
      stop,
      kill: () => {
        for (const p of processes) void p.kill('SIGKILL');
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
