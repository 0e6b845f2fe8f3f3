/**
 * The `otpflow` command line: verification commands on the client library, and the process
 * commands (`api`, `worker`, `emulator`, `setup`, `dev`, `cluster`) loaded only when asked for, so a part
 * that is missing fails only its own command.
 */
import { createRequire } from 'node:module';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { RequiredSecret } from '../config/load';
import type { OtpflowConfig } from '../config/types';
import {
  describeError,
  ExitCode,
  formatCheck,
  formatList,
  formatStart,
  formatView,
  type CliIo,
} from './cli-output';
import type { ConnectedOtp } from './connect';

// Loaded when a command needs them: the Temporal client takes a while to load, and `--help`
// or a usage error should answer at once.
const lazy = createRequire(__filename);
const connectOtp: (typeof import('./connect'))['connectOtp'] = (...args) =>
  (lazy('./connect') as typeof import('./connect')).connectOtp(...args);

export { ExitCode } from './cli-output';

const EXIT_CODES = `Exit codes:
  0  success (verified, started, cancelled, …)
  1  the verification did not succeed: wrong code, expired, locked, cancelled,
     already finished, resend refused (cooldown: the message says when to retry)
  2  bad input or usage: unknown option, malformed code, invalid number,
     unknown application, invalid configuration
  3  Temporal (or, for a check, Infobip) unreachable; nothing changed, retry
  4  no verification with that ID`;

const GLOBAL_OPTIONS = `Options for every verification command:
  --json           print one JSON object (errors too: {"error": {...}}) for scripts
  --config FILE    applications file (default: $OTPFLOW_CONFIG or otpflow.config.json)
  -h, --help       show help
Temporal is found through TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
TEMPORAL_TLS*, TEMPORAL_PROFILE (the standard Temporal environment configuration).`;

export const USAGE = `Usage: otpflow <command> [options]

Verifications:
  start <to> [--app NAME] [--channel sms|voice|email] [--id ID] [--lang L]
                         send a code to a phone number (E.164) or e-mail address
  verify <id> <code>     check the code a person typed
  resend <id>            send the code again (honours the cooldown)
  cancel <id>            end a verification as CANCELLED
  status <id>            show a verification's state
  list [--status S] [--app NAME] [--limit N]
                         list verifications (never shows destinations)

Processes:
  dev                    Temporal dev server + emulator + worker + API, all local
  cluster                PostgreSQL + Temporal server + Web UI + emulator + several
                         workers and API instances as processes, all local
  worker                 run a worker
  api                    run the HTTP API
  emulator               run the Infobip emulator
  setup                  make Infobip match the applications file

${GLOBAL_OPTIONS}

${EXIT_CODES}

Run 'otpflow <command> --help' for a command's options.`;

type Options = NonNullable<ParseArgsConfig['options']>;
const COMMON: Options = {
  json: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

interface Command {
  usage: string;
  positionals: string[];
  options?: Options;
  /** Secrets the command needs from the configuration. */
  secrets?: RequiredSecret[];
  run(
    c: ConnectedOtp,
    args: string[],
    values: Record<string, unknown>,
    io: CliIo,
    json: boolean,
  ): Promise<number>;
}

const print = (io: CliIo, json: boolean, value: unknown, human: string) =>
  io.out(json ? JSON.stringify(value, null, 2) : human);

const COMMANDS: Record<string, Command> = {
  start: {
    usage:
      'otpflow start <to> [--app NAME] [--channel sms|voice|email] [--id ID] [--lang L] [--email ADDRESS]',
    positionals: ['to'],
    options: {
      app: { type: 'string' },
      channel: { type: 'string' },
      id: { type: 'string' },
      lang: { type: 'string' },
      email: { type: 'string' },
    },
    secrets: ['destinationHashKey'],
    async run({ otp }, [to], v, io, json) {
      const r = await otp.start({
        destination: to as string,
        application: v.app as string | undefined,
        channel: v.channel as string | undefined,
        id: v.id as string | undefined,
        language: v.lang as string | undefined,
        email: v.email as string | undefined,
      });
      print(io, json, r, formatStart(r));
      return ['LOOKUP', 'SENDING', 'PENDING'].includes(r.status) ? ExitCode.OK : ExitCode.NOT_VERIFIED;
    },
  },
  verify: {
    usage: 'otpflow verify <id> <code>',
    positionals: ['id', 'code'],
    async run({ otp }, [id, code], _v, io, json) {
      const r = await otp.check(id as string, code as string);
      const [line, exit] = formatCheck(id as string, r);
      print(io, json, { id, ...r }, line);
      return exit;
    },
  },
  resend: {
    usage: 'otpflow resend <id>',
    positionals: ['id'],
    async run({ otp }, [id], _v, io, json) {
      const r = await otp.resend(id as string);
      const next = r.nextResendAt ? `; next resend allowed at ${r.nextResendAt}` : '';
      print(
        io,
        json,
        { id, ...r },
        `Code sent again by ${r.channel}: ${r.resendsRemaining} resend(s) left${next}.`,
      );
      return ExitCode.OK;
    },
  },
  cancel: {
    usage: 'otpflow cancel <id>',
    positionals: ['id'],
    async run({ otp }, [id], _v, io, json) {
      const view = await otp.cancel(id as string);
      print(io, json, view, `Cancelled: ${view.id}`);
      return ExitCode.OK;
    },
  },
  status: {
    usage: 'otpflow status <id>',
    positionals: ['id'],
    async run({ otp }, [id], _v, io, json) {
      const view = await otp.status(id as string);
      print(io, json, view, formatView(view));
      return ExitCode.OK;
    },
  },
  list: {
    usage: 'otpflow list [--status S] [--app NAME] [--channel C] [--limit N]',
    positionals: [],
    options: {
      status: { type: 'string' },
      app: { type: 'string' },
      channel: { type: 'string' },
      limit: { type: 'string' },
    },
    async run({ otp }, _args, v, io, json) {
      const limit = v.limit === undefined ? undefined : Number(v.limit);
      const list = await otp.list({
        status: v.status as string | undefined,
        application: v.app as string | undefined,
        channel: v.channel as string | undefined,
        limit,
      });
      print(io, json, list, formatList(list));
      return ExitCode.OK;
    },
  },
};

/** Process commands, resolved relative to this file when called. */
const PROCESS_COMMANDS: Record<string, [modulePath: string, exportName: string]> = {
  api: ['./api/cli', 'runApiCli'],
  emulator: ['../emulator/cli', 'runEmulatorCli'],
  worker: ['../worker/main', 'runWorkerCli'],
  setup: ['../worker/setup-cli', 'runSetupCli'],
  dev: ['../dev/stack', 'runDevCli'],
  cluster: ['../dev/cluster/cli', 'runClusterCli'],
};

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/** Loads the configuration for a command; tests and embedders may replace it. */
export type ConfigLoader = (
  env: NodeJS.ProcessEnv,
  configFile: string | undefined,
  secrets: RequiredSecret[],
) => OtpflowConfig;

const defaultLoader: ConfigLoader = (env, configFile, secrets) =>
  (lazy('../config/load') as typeof import('../config/load')).loadConfig(env, {
    require: secrets,
    ...(configFile ? { configFile } : {}),
  });

/** Runs the CLI; resolves to the process exit code (see `USAGE`). */
export async function main(
  argv: string[],
  io: CliIo = defaultIo,
  env: NodeJS.ProcessEnv = process.env,
  load: ConfigLoader = defaultLoader,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? ExitCode.BAD_INPUT : ExitCode.OK;
  }
  if (name in PROCESS_COMMANDS) return runProcessCommand(name, rest, io);
  const command = COMMANDS[name];
  if (!command) {
    io.err(`otpflow: unknown command "${name}"\n\n${USAGE}`);
    return ExitCode.BAD_INPUT;
  }
  const help = `Usage: ${command.usage}\n\n${GLOBAL_OPTIONS}\n\n${EXIT_CODES}`;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.err(`otpflow ${name}: ${(err as Error).message}\n\n${help}`);
    return ExitCode.BAD_INPUT;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(help);
    return ExitCode.OK;
  }
  if (positionals.length !== command.positionals.length) {
    io.err(
      `otpflow ${name}: expected ${command.positionals.map((p) => `<${p}>`).join(' ') || 'no arguments'}\n\n${help}`,
    );
    return ExitCode.BAD_INPUT;
  }
  const json = values.json === true;
  let connected: ConnectedOtp | undefined;
  try {
    const config = load(env, values.config as string | undefined, command.secrets ?? []);
    connected = await connectOtp(config);
    return await command.run(connected, positionals, values, io, json);
  } catch (err) {
    const { message, json: body, exit } = describeError(err);
    if (json) io.out(JSON.stringify({ error: body }, null, 2));
    else io.err(exit === ExitCode.NOT_VERIFIED ? message : `otpflow ${name}: ${message}`);
    return exit;
  } finally {
    await connected?.close().catch(() => undefined);
  }
}

async function runProcessCommand(name: string, argv: string[], io: CliIo): Promise<number> {
  const [modulePath, exportName] = PROCESS_COMMANDS[name] as [string, string];
  let mod: Record<string, unknown>;
  try {
    mod = lazy(modulePath) as Record<string, unknown>;
  } catch (err) {
    const missing =
      (err as { code?: string }).code === 'MODULE_NOT_FOUND' &&
      (err as Error).message.includes(modulePath.replace(/^\.+\//, ''));
    io.err(
      missing
        ? `otpflow ${name}: this command is not available in this build (${modulePath} is missing)`
        : `otpflow ${name}: could not load ${modulePath}: ${(err as Error).message}`,
    );
    return ExitCode.BAD_INPUT;
  }
  const run = mod[exportName];
  if (typeof run !== 'function') {
    io.err(`otpflow ${name}: ${modulePath} does not export ${exportName}()`);
    return ExitCode.BAD_INPUT;
  }
  const code = (await (run as (argv: string[]) => Promise<number | void>)(argv)) ?? ExitCode.OK;
  return code;
}
