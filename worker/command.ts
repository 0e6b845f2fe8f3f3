/** The start shared by otpflow's process commands (`otpflow worker`, `otpflow setup`). */
import { isConfigError } from '../config/errors';
import { loadConfig } from '../config/load';
import type { OtpflowConfig } from '../config/types';
import { EXIT_CONFIG } from './exit-codes';

/**
 * Answers `--help`, refuses unknown flags (exit 2) and loads the configuration, printing a
 * broken setting as one line (exit `EXIT_CONFIG`). Returns the configuration, or the exit
 * status when the command is already done.
 */
export function startCommand(
  command: string,
  usage: string,
  argv: string[],
  flags: readonly string[],
): OtpflowConfig | number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  const unknown = argv.find((a) => !flags.includes(a));
  if (unknown !== undefined) {
    console.error(`otpflow ${command}: unknown argument ${unknown}\n\n${usage}`);
    return 2;
  }
  try {
    return loadConfig(process.env, { require: ['infobipApiKey'] });
  } catch (err) {
    if (isConfigError(err)) {
      console.error((err as Error).message);
      return EXIT_CONFIG;
    }
    throw err;
  }
}
