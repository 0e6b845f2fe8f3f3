/** How otpflow starts a Temporal dev server: the flags and the executable (`otpflow dev`, the tests, the bench). */
import type { TemporalCliResolution } from '../scripts/temporal-cli';

/**
 * Server flags every otpflow dev server gets (`otpflow dev`, the tests, the bench):
 * - updates with start (used for idempotent starts);
 * - eager activity execution, which the server leaves off by default: the send, and the verify
 *   a person waits for, then start on the worker whose workflow task scheduled them instead of
 *   a round trip through the activity task queue (BENCHMARKS.md: +75 % throughput, start → PIN
 *   p50 −61 %, check p50 −39 % in run D). docker-compose.yml sets it for its server too.
 */
export const devServerExtraArgs = [
  '--dynamic-config-value',
  'frontend.enableExecuteMultiOperation=true',
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
];

/** The SDK's executable option for a resolved CLI: the binary we have, or the SDK's download. */
export function executableFor(
  cli: TemporalCliResolution,
): { type: 'existing-path'; path: string } | { type: 'cached-download' } {
  return cli.path ? { type: 'existing-path', path: cli.path } : { type: 'cached-download' };
}
