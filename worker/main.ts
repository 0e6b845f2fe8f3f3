/**
 * `otpflow worker`: the production worker process. Loads and validates the configuration,
 * installs the Temporal Runtime (JSON logs, Prometheus metrics), serves the codec endpoint when
 * configured, runs until SIGTERM/SIGINT and then drains: in-flight activities get the grace
 * period (`OTPFLOW_SHUTDOWN_GRACE_SECONDS`) to finish.
 */
import { makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { createCodecServer, type CodecServer } from '../codec/server';
import { EncryptionCodec } from '../codec/encryption-codec';
import type { OtpflowConfig } from '../config/types';
import { createOtpWorker } from './create-worker';
import { startCommand } from '../cli/process-command';
import { ExitCode } from '../cli/exit-codes';
import { createLogger, runtimeLogger, type Logger } from './logging';

export const WORKER_USAGE = `Usage: otpflow worker

Runs an otpflow worker on OTPFLOW_TASK_QUEUE (default "otpflow") until SIGTERM or SIGINT.
Configuration comes from the environment (see .env.example) and the applications file
(OTPFLOW_CONFIG, default otpflow.config.json); Temporal's from TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE.

Options:
  --check   validate the configuration and exit
  --help    show this help`;

/** Installs the Runtime once per process: logs through `logger`, metrics on `metricsAddress`. */
export function installRuntime(
  logger: Logger,
  metricsAddress?: string,
  shutdownSignals?: NodeJS.Signals[],
): Runtime {
  return Runtime.install({
    logger: runtimeLogger(logger),
    shutdownSignals,
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(metricsAddress
        ? {
            metrics: {
              prometheus: {
                bindAddress: metricsAddress,
                // Code checks take milliseconds to seconds; the defaults start at 50 ms.
                histogramBucketOverrides: {
                  otpflow_check_latency: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
                },
              },
            },
          }
        : {}),
    },
  });
}

/** Starts the codec server of `config`, if one is configured. */
export async function startConfiguredCodecServer(
  config: OtpflowConfig,
  logger: Logger,
): Promise<CodecServer | undefined> {
  if (!config.codecServer) return undefined;
  if (config.encryptionKeys.length === 0) {
    logger.warn('OTPFLOW_CODEC_PORT is set but OTPFLOW_ENCRYPTION_KEYS is empty: no codec server started');
    return undefined;
  }
  if (
    config.codecServer.apiKeys.length === 0 &&
    !['127.0.0.1', 'localhost', '::1'].includes(config.codecServer.host)
  ) {
    logger.warn(
      { host: config.codecServer.host },
      'codec server listens beyond loopback without OTPFLOW_CODEC_API_KEYS',
    );
  }
  const server = await createCodecServer({
    codec: new EncryptionCodec(config.encryptionKeys),
    ...config.codecServer,
    onError: (err) => logger.warn({ err }, 'codec request failed'),
  });
  logger.info({ url: server.url, corsOrigins: config.codecServer.corsOrigins }, 'codec server listening');
  return server;
}

/** Runs the worker CLI; resolves with the exit status. Never throws for a bad configuration. */
export async function runWorkerCli(argv: string[]): Promise<number> {
  const config = startCommand('worker', WORKER_USAGE, argv, ['--check']);
  if (typeof config === 'number') return config;
  if (argv.includes('--check')) {
    console.log(
      `Configuration is valid: ${config.applications.length} application(s) from ${config.configFile}`,
    );
    return ExitCode.OK;
  }

  const logger = createLogger(config.worker?.logLevel);
  installRuntime(logger, config.worker?.metricsAddress);
  const connectionOptions = config.temporal.connect?.connectionOptions ?? { address: 'localhost:7233' };
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(connectionOptions);
  } catch (err) {
    logger.error({ err, address: connectionOptions.address }, 'cannot connect to Temporal');
    return ExitCode.UNREACHABLE;
  }
  const codec = await startConfiguredCodecServer(config, logger);
  try {
    const { worker, close } = await createOtpWorker({ config, connection, logger });
    logger.info(
      {
        taskQueue: config.temporal.taskQueue,
        namespace: config.temporal.namespace,
        temporal: connectionOptions.address,
        infobip: config.infobip.baseUrl,
        encryption: config.encryptionKeys.length > 0 ? `on (key ${config.encryptionKeys[0]?.id})` : 'off',
        metrics: config.worker?.metricsAddress ? `http://${config.worker.metricsAddress}/metrics` : 'off',
        applications: config.applications.map((a) => a.name),
      },
      'worker started',
    );
    // The Runtime turns SIGTERM/SIGINT into worker.shutdown(); run() resolves once drained.
    await worker.run();
    await close();
    logger.info('worker stopped');
    return ExitCode.OK;
  } catch (err) {
    logger.error({ err }, 'worker failed');
    return ExitCode.FAILED;
  } finally {
    await codec?.close();
    await connection.close();
  }
}
