/**
 * Wiring from a loaded configuration to a connected `OtpClient`: the Temporal connection from
 * `@temporalio/envconfig` settings, the namespace, and the data converter (payload encryption
 * when keys are configured) that the workers use too.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { createDataConverter } from '../codec/data-converter';
import type { ClientConfig } from '../config/load';
import { needsGuardWorkflow, resolveGuardPolicy } from '../domain/guard-policy';
import { TemporalUnreachableError } from './errors';
import { GuardWatcher } from './guard';
import { OtpClient } from './otp-client';

/** A connected client and how to let go of it. */
export interface ConnectedOtp {
  otp: OtpClient;
  client: Client;
  connection: Connection;
  /** The cache of the applications' guard views the client checks starts against. */
  guard: GuardWatcher;
  /** True when Temporal answers within `timeoutMs` (default 2000). */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Options of `connectOtp`. */
export interface ConnectOptions {
  /** Don't connect until the first call (servers that must start while Temporal is down). @default false */
  lazy?: boolean;
  /** How long an eager connect may take. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * Keep the guard views of the applications that need one fresh in the background (every
   * second), as an API instance does, so a start's guard check is an in-memory look-up.
   * Otherwise a start reads the guard when its cached view is older than a second.
   * @default false
   */
  watchGuard?: boolean;
  /** Told when reading an application's guard fails (the last view stays in use). */
  onGuardError?: (application: string, err: unknown) => void;
}

/**
 * Connects to Temporal as the configuration says and builds an `OtpClient`. Throws
 * `TemporalUnreachableError` when an eager connect fails.
 */
export async function connectOtp(config: ClientConfig, options: ConnectOptions = {}): Promise<ConnectedOtp> {
  const connect = config.temporal.connect ?? loadClientConnectConfig();
  const connectionOptions = {
    ...connect.connectionOptions,
    connectTimeout: options.connectTimeoutMs ?? 5000,
  };
  let connection: Connection;
  if (options.lazy) {
    connection = Connection.lazy(connectionOptions);
  } else {
    try {
      connection = await Connection.connect(connectionOptions);
    } catch (err) {
      const address = connectionOptions.address ?? 'localhost:7233';
      throw new TemporalUnreachableError(`cannot reach Temporal at ${address}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const client = new Client({
    connection,
    namespace: config.temporal.namespace ?? connect.namespace ?? 'default',
    dataConverter: createDataConverter({ encryptionKeys: config.encryptionKeys }),
  });
  const guard = new GuardWatcher(client, { onError: options.onGuardError });
  if (options.watchGuard) {
    guard.watch(
      config.applications.filter((a) => needsGuardWorkflow(resolveGuardPolicy(a.guard))).map((a) => a.name),
    );
  }
  const otp = new OtpClient({
    client,
    applications: config.applications,
    destinationHashKey: config.destinationHashKey,
    taskQueue: config.temporal.taskQueue,
    guard,
  });
  return {
    otp,
    client,
    connection,
    guard,
    async ping(timeoutMs = 2000) {
      try {
        await connection.withDeadline(Date.now() + timeoutMs, () =>
          connection.workflowService.getSystemInfo({}),
        );
        return true;
      } catch {
        return false;
      }
    },
    close: () => {
      guard.close();
      return connection.close();
    },
  };
}
