/**
 * Wiring from a loaded configuration to a connected `OtpClient`: the Temporal connection from
 * `@temporalio/envconfig` settings, the namespace, and the data converter (payload encryption
 * when keys are configured) that the workers use too.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { createDataConverter } from '../codec/data-converter';
import type { ClientConfig } from '../config/load';
import { TemporalUnreachableError } from './errors';
import { OtpClient } from './otp-client';

/** A connected client and how to let go of it. */
export interface ConnectedOtp {
  otp: OtpClient;
  client: Client;
  connection: Connection;
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
  const otp = new OtpClient({
    client,
    applications: config.applications,
    destinationHashKey: config.destinationHashKey,
    taskQueue: config.temporal.taskQueue,
  });
  return {
    otp,
    client,
    connection,
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
    close: () => connection.close(),
  };
}
