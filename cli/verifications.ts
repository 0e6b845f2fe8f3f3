/**
 * The verification commands of `otpflow` (`start`, `verify`, `resend`, `cancel`, `status`,
 * `list`) on the client library. The Temporal client loads only once a command runs, so that
 * `--help` and usage errors answer at once.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ConnectedOtp } from '../client/connect';
import type { ClientConfig, RequiredSecret } from '../config/load';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes';
import { describeError, formatCheck, formatList, formatStart, formatView, type CliIo } from './output';

export const GLOBAL_OPTIONS = `Options for every verification command:
  --json           print one JSON object (errors too: {"error": {...}}) for scripts
  --config FILE    applications file (default: $OTPFLOW_CONFIG or otpflow.config.json)
  -h, --help       show help
Temporal is found through TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
TEMPORAL_TLS*, TEMPORAL_PROFILE (the standard Temporal environment configuration).`;

type Options = NonNullable<ParseArgsConfig['options']>;
const COMMON: Options = {
  json: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** A command of the client library: its usage, arguments and what it does. */
export interface Command {
  usage: string;
  /** One paragraph: what the command does and what it answers. */
  about: string;
  positionals: string[];
  options?: Options;
  /** `--flag VALUE   what it does` lines, one per option of `options`. */
  optionHelp?: string[];
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

/** Prints `value` as JSON or `human` as text. */
export const print = (io: CliIo, json: boolean, value: unknown, human: string) =>
  io.out(json ? JSON.stringify(value, null, 2) : human);

const COMMANDS: Record<string, Command> = {
  start: {
    usage:
      'otpflow start <to> [--app NAME] [--channel sms|voice|email] [--lang L] [--email ADDRESS] [--id ID] [--ttl SECONDS]\n' +
      '                     [--client-ip IP] [--session ID]',
    about:
      'Sends a code to <to>: a phone number (+41 79 302 67 27, 0041…, or national where the\napplication declares a defaultCountry) or an e-mail address. A second start for a pending\ndestination attaches to it and sends nothing. Exit 1 when the flow ended at once\n(UNDELIVERABLE, RATE_LIMITED, FAILED): nothing to check then, or when the abuse guard refused\nthe start (destination locked, a velocity limit, a blocked prefix).',
    positionals: ['to'],
    options: {
      app: { type: 'string' },
      channel: { type: 'string' },
      id: { type: 'string' },
      lang: { type: 'string' },
      email: { type: 'string' },
      ttl: { type: 'string' },
      'client-ip': { type: 'string' },
      session: { type: 'string' },
    },
    optionHelp: [
      '--app NAME         application (optional when one is declared)',
      '--channel C        first channel: sms, voice or email (default: email for an address, else sms)',
      '--lang L           template language (one without a template uses the application default)',
      '--email ADDRESS    e-mail address for an EMAIL fallback step of a phone verification',
      '--id ID            your own verification ID (default: derived from application and <to>)',
      "--ttl SECONDS      a shorter lifetime than the application's, to try expiry quickly",
      "--client-ip IP     the end user's IP, for the application's per-client-IP velocity limit",
      "--session ID       the end user's session, for the per-session velocity limit",
    ],
    secrets: ['destinationHashKey'],
    async run({ otp }, [to], v, io, json) {
      const r = await otp.start({
        to: to as string,
        application: v.app as string | undefined,
        channel: v.channel as string | undefined,
        id: v.id as string | undefined,
        language: v.lang as string | undefined,
        email: v.email as string | undefined,
        ttlSeconds: v.ttl === undefined ? undefined : Number(v.ttl),
        clientIp: v['client-ip'] as string | undefined,
        sessionId: v.session as string | undefined,
      });
      print(io, json, r, formatStart(r));
      return ['LOOKUP', 'SENDING', 'PENDING'].includes(r.status) ? ExitCode.OK : ExitCode.FAILED;
    },
  },
  verify: {
    usage: 'otpflow verify <id> <code>',
    about: 'Checks the code a person typed. Exit 0 verified, 1 wrong code / locked / expired / finished.',
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
    about: 'Sends the code again on the current channel. Exit 1 when refused (cooldown: says when).',
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
    about: 'Ends a pending verification as CANCELLED.',
    positionals: ['id'],
    async run({ otp }, [id], _v, io, json) {
      const view = await otp.cancel(id as string);
      print(io, json, view, `Cancelled: ${view.id}`);
      return ExitCode.OK;
    },
  },
  status: {
    usage: 'otpflow status <id>',
    about: "Shows a verification's state (never the destination in clear). Exit 4 for an unknown ID.",
    positionals: ['id'],
    async run({ otp }, [id], _v, io, json) {
      const view = await otp.status(id as string);
      print(io, json, view, formatView(view));
      return ExitCode.OK;
    },
  },
  list: {
    usage: 'otpflow list [--status S] [--app NAME] [--channel C] [--limit N]',
    about: 'Lists verifications, newest first, over the search attributes (never shows destinations).',
    positionals: [],
    options: {
      status: { type: 'string' },
      app: { type: 'string' },
      channel: { type: 'string' },
      limit: { type: 'string' },
    },
    optionHelp: [
      '--status S         LOOKUP, SENDING, PENDING, VERIFIED, EXPIRED, LOCKED, CANCELLED, … (any case)',
      '--app NAME         one application',
      '--channel C        sms, voice or email',
      '--limit N          at most N rows, 1–1000 (default 50)',
    ],
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

/** `otpflow <command> --help`: usage, what it does, its options, the common ones, the exit codes. */
function commandHelp(command: Command): string {
  const own = command.optionHelp ? `\n\nOptions:\n${command.optionHelp.map((l) => `  ${l}`).join('\n')}` : '';
  return `Usage: ${command.usage}\n\n${command.about}${own}\n\n${GLOBAL_OPTIONS}\n\n${EXIT_CODES_HELP}`;
}

/** Every verification command's usage and options, for `otpflow --help`. */
export function verificationCommandsHelp(): string {
  return Object.values(COMMANDS)
    .map((c) =>
      [`  ${c.usage.replace(/^otpflow /, '')}`, ...(c.optionHelp ?? []).map((l) => `      ${l}`)].join('\n'),
    )
    .join('\n');
}

/** Whether `name` is a verification command. */
export function isVerificationCommand(name: string): boolean {
  return Object.hasOwn(COMMANDS, name);
}

/** Loads the configuration for a command; tests and embedders may replace `loadConfig`. */
export type ConfigLoader = (
  env: NodeJS.ProcessEnv,
  configFile: string | undefined,
  secrets: RequiredSecret[],
) => ClientConfig;

/** Runs one verification command; resolves to its exit code. */
export function runVerificationCommand(
  name: string,
  argv: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
  load?: ConfigLoader,
): Promise<number> {
  return runCommand(name, COMMANDS[name] as Command, argv, io, env, load);
}

/**
 * Runs a command of the client library (`label` names it in messages: `start`, `guard block`):
 * parses its options, loads the configuration, connects, runs it, and maps what it throws to
 * the exit-code table.
 */
export async function runCommand(
  label: string,
  command: Command,
  argv: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
  load?: ConfigLoader,
): Promise<number> {
  const help = commandHelp(command);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.err(`otpflow ${label}: ${(err as Error).message}\n\n${help}`);
    return ExitCode.BAD_INPUT;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(help);
    return ExitCode.OK;
  }
  if (positionals.length !== command.positionals.length) {
    io.err(
      `otpflow ${label}: expected ${command.positionals.map((p) => `<${p}>`).join(' ') || 'no arguments'}\n\n${help}`,
    );
    return ExitCode.BAD_INPUT;
  }
  const json = values.json === true;
  let connected: ConnectedOtp | undefined;
  try {
    const configFile = values.config as string | undefined;
    const secrets = command.secrets ?? [];
    // The configuration loader and the Temporal client take a while to load: only now.
    const config = load
      ? load(env, configFile, secrets)
      : (await import('../config/load.js')).loadClientConfig(env, {
          requireHashKey: secrets.includes('destinationHashKey'),
          ...(configFile ? { configFile } : {}),
        });
    const { connectOtp } = await import('../client/connect.js');
    connected = await connectOtp(config);
    return await command.run(connected, positionals, values, io, json);
  } catch (err) {
    const { message, json: body, exit } = describeError(err);
    if (json) io.out(JSON.stringify({ error: body }, null, 2));
    else io.err(exit === ExitCode.FAILED ? message : `otpflow ${label}: ${message}`);
    return exit;
  } finally {
    await connected?.close().catch(() => undefined);
  }
}
