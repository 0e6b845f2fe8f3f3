/** `otpflow api`: runs the HTTP API until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util';
import { ExitCode } from '../cli/exit-codes';
import { loadOrExit } from '../cli/process-command';
import { loadConfig } from '../config/load';
import { connectOtp } from '../client/connect';
import { deliveryReportOptions } from './delivery-reports';
import type { OtpflowConfig } from '../config/types';
import { createLogger } from '../worker/json-logger';
import { createApiServer, type ApiKey } from './server';

/** The configured keys as the server takes them: plain keys, and admin keys (`admin:<key>`). */
export function apiKeysOf(config: OtpflowConfig): ApiKey[] {
  return [
    ...config.api.keys.map((key) => ({ key })),
    ...config.api.adminKeys.map((key) => ({ key, admin: true })),
  ];
}

export const API_USAGE = `Usage: otpflow api [--host HOST] [--port PORT] [--config FILE]

Runs the HTTP API (POST /v1/verifications, …; OpenAPI at /openapi.json).
  --host HOST      address to listen on (default: $OTPFLOW_API_HOST or 127.0.0.1)
  --port PORT      port (default: $OTPFLOW_API_PORT or 8080; 0 picks a free one)
  --config FILE    applications file (default: $OTPFLOW_CONFIG or otpflow.config.json)
  -h, --help       show this help
API keys come from OTPFLOW_API_KEYS (comma-separated; admin:<key> marks a key that may also use
/v1/guard), each limited to OTPFLOW_API_RATE_LIMIT requests per second (default 50); Temporal
from TEMPORAL_ADDRESS etc.
Infobip's delivery reports are taken at POST /v1/delivery-reports with the HTTP Basic
credentials of OTPFLOW_DELIVERY_REPORT_CREDENTIALS (USER:PASSWORD); unset, every push is refused.`;

/** Runs the API; resolves to an exit code when it stops (or failed to start). */
export async function runApiCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`otpflow api: ${(err as Error).message}\n\n${API_USAGE}`);
    return ExitCode.BAD_INPUT;
  }
  if (values.help) {
    console.log(API_USAGE);
    return ExitCode.OK;
  }
  const config = loadOrExit(() =>
    loadConfig(env, {
      require: ['destinationHashKey', 'apiKeys'],
      ...(values.config ? { configFile: values.config } : {}),
    }),
  );
  if (typeof config === 'number') return config;
  const port = values.port !== undefined ? Number(values.port) : config.api.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`otpflow api: --port must be a port number, got "${values.port}"`);
    return ExitCode.BAD_INPUT;
  }
  const host = values.host ?? config.api.host;
  // The worker's format: JSON lines on stdout with level names and ISO times.
  const logger = createLogger(config.worker?.logLevel ?? 'info').child({ component: 'api' });
  const connected = await connectOtp(config, {
    lazy: true,
    watchGuard: true,
    onGuardError: (application, err) => logger.warn({ application, err }, 'cannot read the abuse guard'),
  });
  const app = createApiServer({
    otp: connected.otp,
    apiKeys: apiKeysOf(config),
    logger,
    ready: () => connected.ping(),
    deliveryReports: deliveryReportOptions(config, connected.client),
    rateLimit: config.api.rateLimit,
  });
  try {
    const address = await app.listen({ port, host });
    logger.info({ address, openapi: `${address}/openapi.json` }, 'API listening');
  } catch (err) {
    logger.error({ err, host, port }, 'cannot listen');
    await connected.close();
    return ExitCode.FAILED;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
  await connected.close();
  return ExitCode.OK;
}
