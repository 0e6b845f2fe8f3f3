/**
 * `otpflow`: dispatches to the verification commands (`cli/verifications.ts`) and to the
 * process commands, each loaded only when asked for through a typed import, so `--help`, a
 * usage error or a verification command never loads the worker, the HTTP API or the dev stack.
 */
import type { ConfigLoader } from './verifications';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes';
import type { CliIo } from './output';
import { runGuardCli } from './guard';
import {
  GLOBAL_OPTIONS,
  isVerificationCommand,
  runVerificationCommand,
  verificationCommandsHelp,
} from './verifications';

export type { ConfigLoader } from './verifications';

export const USAGE = `Usage: otpflow <command> [options]

Verifications (\`otpflow <command> --help\` says more):
${verificationCommandsHelp()}

Abuse guard:
  guard status|block|unblock
                         blocked prefixes; block or unblock one ('otpflow guard --help')

Processes:
  dev                    Temporal dev server + emulator + worker + API, all local (npm start)
      --port N  --ui-port N  --api-port N  --emulator-port N  --codec-port N  --metrics-port N
      --db FILE  --no-encryption  --verbose
  cluster                PostgreSQL + Temporal server + emulator + N workers + M API
                         instances as processes, all local (npm run cluster)
      --data DIR  --clean  --workers N  --api-instances M  --port N  --postgres-port N
      --ui-port N  --api-port N  --emulator-port N  --codec-port N  --metrics-port N
      --no-encryption  --verbose
  worker                 run a worker
      --check            validate the configuration and exit
  api                    run the HTTP API
      --host HOST  --port PORT  --config FILE
  emulator               run the Infobip emulator
      --port N  --host H  --api-key K  --data FILE  --rate-limit-envelope E
      --no-management-limits
      --report-url URL  --report-basic USER:PASSWORD  --report-delay MS  --report-late-delay MS
      --report-retry-scale X  --report-max-retries N
  setup                  make Infobip match the applications file
      --dry-run          print what would change, change nothing

${GLOBAL_OPTIONS}

${EXIT_CODES_HELP}

Run 'otpflow <command> --help' for a command's options.`;

type ProcessCommand = (argv: string[], io: CliIo) => Promise<number>;

/**
 * The process commands, each imported when it runs. (The `.js` suffix is what Node's
 * `import()` resolves in a build; tsx and vitest map it to the TypeScript source.)
 */
const PROCESS_COMMANDS: Record<string, ProcessCommand> = {
  dev: async (argv) => (await import('../dev/stack.js')).runDevCli(argv),
  cluster: async (argv) => (await import('../dev/cluster/cli.js')).runClusterCli(argv),
  worker: async (argv) => (await import('../worker/main.js')).runWorkerCli(argv),
  api: async (argv) => (await import('../api/main.js')).runApiCli(argv),
  setup: async (argv) => (await import('../setup/main.js')).runSetupCli(argv),
  emulator: async (argv, io) => {
    // The emulator imports nothing of otpflow; its usage errors become exit 2 here.
    const { runEmulatorCli, EmulatorCliError } = await import('../emulator/cli.js');
    try {
      await runEmulatorCli(argv);
      return ExitCode.OK;
    } catch (err) {
      // A port in use or not allowed is a process that failed (1), as for `otpflow api`.
      const code = (err as { code?: unknown }).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        io.err(`otpflow emulator: cannot listen: ${(err as Error).message}`);
        return ExitCode.FAILED;
      }
      if (!(err instanceof EmulatorCliError)) throw err;
      io.err(`otpflow emulator: ${err.message}`);
      return ExitCode.BAD_INPUT;
    }
  },
};

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/** Runs the CLI; resolves to the process exit code (see `cli/exit-codes.ts`), never rejects. */
export async function main(
  argv: string[],
  io: CliIo = defaultIo,
  env: NodeJS.ProcessEnv = process.env,
  load?: ConfigLoader,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? ExitCode.BAD_INPUT : ExitCode.OK;
  }
  try {
    if (Object.hasOwn(PROCESS_COMMANDS, name))
      return await (PROCESS_COMMANDS[name] as ProcessCommand)(rest, io);
    if (isVerificationCommand(name)) return await runVerificationCommand(name, rest, io, env, load);
    if (name === 'guard') return await runGuardCli(rest, io, env, load);
  } catch (err) {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    io.err(`otpflow ${name}: internal error: ${detail}`);
    return ExitCode.INTERNAL;
  }
  io.err(`otpflow: unknown command "${name}"\n\n${USAGE}`);
  return ExitCode.BAD_INPUT;
}
