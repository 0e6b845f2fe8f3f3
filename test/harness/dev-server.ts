/** Shared pieces for starting a Temporal dev server from tests and tools. */
import type { TemporalCliResolution } from '../../scripts/temporal-cli';

/** Server flags every otpflow dev server gets: updates with start (used for idempotent starts). */
export const devServerExtraArgs = ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true'];

/** The SDK's executable option for a resolved CLI: the binary we have, or the SDK's download. */
export function executableFor(
  cli: TemporalCliResolution,
): { type: 'existing-path'; path: string } | { type: 'cached-download' } {
  return cli.path ? { type: 'existing-path', path: cli.path } : { type: 'cached-download' };
}
