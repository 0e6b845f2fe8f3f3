/**
 * `otpflow emulator [--port N] [--host H] [--api-key K …] [--data FILE] [--no-management-limits]`:
 * runs the Infobip emulator until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createEmulator, DEFAULT_API_KEY } from './index';

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
  });
  out(`Infobip emulator listening on ${emulator.url}`);
  out(`  API keys: ${emulator.apiKeys.join(', ')}  (Authorization: App <key>)`);
  out(`  Phone inbox: ${emulator.url}/emulator`);
  out(values.data ? `  State file: ${values.data}` : '  State: in memory (use --data FILE to keep it)');

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
