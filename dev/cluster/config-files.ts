/**
 * The configuration files `otpflow cluster` writes for the Temporal server (one process running
 * the frontend, history, matching and worker services on PostgreSQL) and the Web UI server.
 */
import path from 'node:path';

/** The server's ports: gRPC and membership (ringpop) per service, plus the frontend's HTTP API. */
export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
}

/**
 * Temporal's own layout around the frontend port (7233 → history 7234, matching 7235, worker
 * 7239, HTTP 7243, membership 6933–6939), moved along with `--port`.
 */
export function serverPorts(frontend: number): ServerPorts {
  return {
    frontend,
    history: frontend + 1,
    matching: frontend + 2,
    worker: frontend + 6,
    frontendHttp: frontend + 10,
    frontendMembership: frontend - 300,
    historyMembership: frontend - 299,
    matchingMembership: frontend - 298,
    workerMembership: frontend - 294,
  };
}

/** History shards: fixed when the database is created (docker-compose.yml sets the same). */
export const NUM_HISTORY_SHARDS = 4;

export interface ServerConfigOptions {
  clusterName: string;
  ports: ServerPorts;
  postgres: { port: number; user: string; password: string };
  /** Absolute path of the dynamic config file. */
  dynamicConfigFile: string;
  /** @default 'warn' */
  logLevel?: string;
}

/** The SQL store section for one database. */
function sqlStore(database: string, pg: ServerConfigOptions['postgres'], maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `127.0.0.1:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

/** The server's configuration (the shape of the module's config/development-postgres12.yaml). */
export function serverConfig(o: ServerConfigOptions): Record<string, unknown> {
  const rpc = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: o.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: NUM_HISTORY_SHARDS,
      datastores: {
        default: sqlStore('temporal', o.postgres, 20),
        visibility: sqlStore('temporal_visibility', o.postgres, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: rpc(o.ports.frontend, o.ports.frontendMembership, { httpPort: o.ports.frontendHttp }),
      history: rpc(o.ports.history, o.ports.historyMembership),
      matching: rpc(o.ports.matching, o.ports.matchingMembership),
      worker: rpc(o.ports.worker, o.ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: o.clusterName,
      currentClusterName: o.clusterName,
      clusterInformation: {
        [o.clusterName]: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${o.ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: o.dynamicConfigFile, pollInterval: '10s' },
  };
}

export interface UiConfigOptions {
  temporalAddress: string;
  port: number;
  codecEndpoint?: string;
}

/** The Web UI server's configuration. */
export function uiConfig(o: UiConfigOptions): Record<string, unknown> {
  return {
    temporalGrpcAddress: o.temporalAddress,
    host: '127.0.0.1',
    port: o.port,
    enableUi: true,
    defaultNamespace: 'default',
    notifyOnNewVersion: false,
    cors: { allowOrigins: [`http://127.0.0.1:${o.port}`, `http://localhost:${o.port}`] },
    ...(o.codecEndpoint ? { codec: { endpoint: o.codecEndpoint } } : {}),
  };
}

const PLAIN = /^[A-Za-z0-9_./:-]+$/;

function scalar(v: unknown): string {
  if (typeof v === 'string')
    return PLAIN.test(v) && !/^(true|false|null|~|[-+]?[\d.]+)$/i.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** Block-style YAML for nested objects, arrays and scalars (enough for these files; no dependency). */
export function toYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    return value
      .map((item) =>
        item !== null && typeof item === 'object'
          ? `${indent}-\n${toYaml(item, `${indent}  `)}`
          : `${indent}- ${scalar(item)}\n`,
      )
      .join('');
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) =>
        v !== null && typeof v === 'object'
          ? `${indent}${scalar(k)}:\n${toYaml(v, `${indent}  `)}`
          : `${indent}${scalar(k)}: ${scalar(v)}\n`,
      )
      .join('');
  }
  return `${indent}${scalar(value)}\n`;
}

/** `root/config/<env>.yaml`: the layout both servers load with `--root root --config config --env env`. */
export function configFilePath(root: string, env: string): string {
  return path.join(root, 'config', `${env}.yaml`);
}
