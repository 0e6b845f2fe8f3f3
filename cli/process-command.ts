/** The start shared by otpflow's process commands (`otpflow worker`, `otpflow setup`). */
import { isConfigError } from '../config/errors';
import { loadConfig } from '../config/load';
import type { OtpflowConfig } from '../config/types';
import { ExitCode } from './exit-codes';

/**
 * Answers `--help`, refuses unknown flags (exit 2) and loads the configuration, printing a
 * broken setting as one line (exit 78). Returns the configuration, or the exit status when
 * the command is already done.
 */
export function startCommand(
  command: string,
  usage: string,
  argv: string[],
  flags: readonly string[],
): OtpflowConfig | number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return ExitCode.OK;
  }
  const unknown = argv.find((a) => !flags.includes(a));
  if (unknown !== undefined) {
    console.error(`otpflow ${command}: unknown argument ${unknown}\n\n${usage}`);
    return ExitCode.BAD_INPUT;
  }
  return loadOrExit(() => loadConfig(process.env, { require: ['infobipApiKey'] }));
}

/** Runs a configuration load; a configuration error is printed as one line and becomes exit 78. */
export function loadOrExit(load: () => OtpflowConfig): OtpflowConfig | number {
  try {
    return load();
  } catch (err) {
    if (!isConfigError(err)) throw err;
    console.error((err as Error).message);
    return ExitCode.CONFIG;
  }
}
