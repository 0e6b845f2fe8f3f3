/** Errors of configuration loading. */

/** One broken field or variable: where, and what is wrong with it. */
export interface ConfigProblem {
  /** A field path (`applications[0].policy.ttlSeconds`) or an environment variable name. */
  path: string;
  message: string;
}

/**
 * Thrown when the applications file or the environment is invalid. Its message lists every
 * problem as `path: message` lines, fit to print to an operator without a stack trace.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';

  constructor(
    readonly problems: ConfigProblem[],
    readonly source?: string,
  ) {
    const where = source ? ` (${source})` : '';
    super(
      `Invalid otpflow configuration${where}:\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
  }
}

/** True for a ConfigError, also across module copies (vitest can load a module twice). */
export function isConfigError(err: unknown): err is ConfigError {
  return (
    err instanceof ConfigError ||
    (err instanceof Error && (err as { code?: unknown }).code === 'CONFIG_INVALID')
  );
}
