/**
 * The Temporal server settings every otpflow server gets, in one place: the dev servers
 * (`otpflow dev`, the tests, the bench) take them as `--dynamic-config-value` flags, the
 * cluster (`otpflow cluster`) and docker-compose.yml as a dynamic config file.
 */

/**
 * otpflow's dynamic config:
 * - updates with start (used for idempotent starts);
 * - eager activity execution, which the server leaves off by default: the send, and the verify
 *   a person waits for, then start on the worker whose workflow task scheduled them instead of
 *   a round trip through the activity task queue (BENCHMARKS.md: +75 % throughput, start → PIN
 *   p50 −61 %, check p50 −39 % in run D).
 */
export const OTPFLOW_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number | string>> = {
  'frontend.enableExecuteMultiOperation': true,
  'system.enableActivityEagerExecution': true,
};

/** `--dynamic-config-value key=value` for each entry (values JSON-encoded, as the CLI expects). */
export function dynamicConfigArgs(values: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(values).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);
}

/** Server flags every otpflow dev server gets (`otpflow dev`, the tests, the bench). */
export const devServerExtraArgs: string[] = dynamicConfigArgs(OTPFLOW_DYNAMIC_CONFIG);

/** The same values as a Temporal dynamic config file (`key:\n  - value: v`, no constraints). */
export function dynamicConfigYaml(
  values: Readonly<Record<string, unknown>> = OTPFLOW_DYNAMIC_CONFIG,
): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}\n`)
    .join('');
}
