/**
 * `otpflow emulator [--port N] [--host H] [--api-key K …] [--data FILE] [--no-management-limits]
 * [--report-url URL …]`: runs the Infobip emulator until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createEmulator, DEFAULT_API_KEY, parseSubscription, type ReportOptions } from './index';

/** Usage text of the `emulator` command. */
export const EMULATOR_USAGE = `Usage: otpflow emulator [options]

Runs an Infobip-compatible 2FA and Number Lookup server with a phone inbox.

Options:
  --port N                 port to listen on (default 0: a free port)
  --host H                 interface to listen on (default 127.0.0.1)
  --api-key K              accepted API key; repeat for several (default ${DEFAULT_API_KEY})
  --data FILE              keep state in FILE across restarts (default: memory only)
  --rate-limit-envelope E  body of 429 answers: legacy or E429 (default legacy)
  --no-management-limits   do not throttle application management like Infobip does
  --report-url URL         push delivery reports of tracked sends to URL (also PUT /emulator/subscription)
  --report-basic U:P       push them with Authorization: Basic (Infobip's BASIC security settings)
  --report-delay MS        time from a send to its report (default 1000)
  --report-late-delay MS   time to a late report: DELIVERED_LATE, EXPIRED (default 30000)
  --report-retry-scale X   factor on Infobip's retry cycle of 1 min + 1 min·n² (default 1)
  --report-max-retries N   retries of a failed push before giving up (default 20)
  -h, --help               show this help
`;

/** Thrown when the command line cannot be understood; `code` is stable. */
export class EmulatorCliError extends Error {
  override readonly name = 'EmulatorCliError';
  readonly code = 'EMULATOR_CLI_USAGE';
}

/**
 * Parses `argv` (the arguments after `emulator`), starts the emulator, prints where it listens
 * and which keys it accepts, and resolves once it has shut down after SIGINT/SIGTERM.
 * Rejects with EmulatorCliError on bad arguments, or with the start-up error.
 */
export async function runEmulatorCli(
  argv: string[],
  out: (line: string) => void = (l) => console.log(l),
): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'api-key': { type: 'string', multiple: true },
        data: { type: 'string' },
        'rate-limit-envelope': { type: 'string' },
        'no-management-limits': { type: 'boolean' },
        'report-url': { type: 'string' },
        'report-basic': { type: 'string' },
        'report-delay': { type: 'string' },
        'report-late-delay': { type: 'string' },
        'report-retry-scale': { type: 'string' },
        'report-max-retries': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new EmulatorCliError(`${(err as Error).message}\n\n${EMULATOR_USAGE}`);
  }
  if (values.help) {
    out(EMULATOR_USAGE);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new EmulatorCliError(`--port must be 0–65535, got ${values.port}`);
  const envelope = values['rate-limit-envelope'];
  if (envelope !== undefined && envelope !== 'legacy' && envelope !== 'E429') {
    throw new EmulatorCliError(`--rate-limit-envelope must be legacy or E429, got ${envelope}`);
  }
  const emulator = await createEmulator({
    port,
    host: values.host,
    apiKeys: values['api-key'],
    dataFile: values.data,
    rateLimitEnvelope: envelope,
    managementLimits: !values['no-management-limits'],
    reports: reportOptions(values),
  });
  out(`Infobip emulator listening on ${emulator.url}`);
  out(`  API keys: ${emulator.apiKeys.join(', ')}  (Authorization: App <key>)`);
  out(`  Phone inbox: ${emulator.url}/emulator`);
  out(values.data ? `  State file: ${values.data}` : '  State: in memory (use --data FILE to keep it)');
  const sub = emulator.reports.subscription();
  out(
    sub
      ? `  Delivery reports: ${sub.url}${sub.basic ? ` (Basic, user ${sub.basic.username})` : ''}`
      : '  Delivery reports: no subscription (use --report-url URL or PUT /emulator/subscription)',
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      out(`Received ${signal}, shutting down the emulator…`);
      emulator.close().then(resolve, (err: unknown) => {
        out(`Error while closing: ${String(err)}`);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** A number flag: undefined when absent. @throws EmulatorCliError when it is not a number. */
function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new EmulatorCliError(`--${name} must be a non-negative number, got ${value}`);
  return n;
}

/** The `reports` option from the `--report-*` flags. @throws EmulatorCliError on a malformed flag. */
function reportOptions(values: Record<string, string | boolean | string[] | undefined>): ReportOptions {
  const str = (k: string) => values[k] as string | undefined;
  const options: ReportOptions = {
    delayMs: numberFlag('report-delay', str('report-delay')),
    lateDelayMs: numberFlag('report-late-delay', str('report-late-delay')),
    retryTimeScale: numberFlag('report-retry-scale', str('report-retry-scale')),
    maxRetries: numberFlag('report-max-retries', str('report-max-retries')),
  };
  if (options.retryTimeScale === 0) throw new EmulatorCliError('--report-retry-scale must be above 0');
  if (options.maxRetries !== undefined && !Number.isInteger(options.maxRetries))
    throw new EmulatorCliError('--report-max-retries must be a whole number');
  const url = str('report-url');
  const basic = str('report-basic');
  if (basic !== undefined && url === undefined)
    throw new EmulatorCliError('--report-basic needs --report-url');
  if (url !== undefined) {
    let credentials: { username: string; password: string } | undefined;
    if (basic !== undefined) {
      const colon = basic.indexOf(':');
      if (colon <= 0 || colon === basic.length - 1)
        throw new EmulatorCliError('--report-basic must be USER:PASSWORD');
      credentials = { username: basic.slice(0, colon), password: basic.slice(colon + 1) };
    }
    try {
      options.subscription = parseSubscription({ url, ...(credentials && { basic: credentials }) });
    } catch (err) {
      throw new EmulatorCliError(`--report-url/--report-basic: ${(err as Error).message}`);
    }
  }
  return options;
}
