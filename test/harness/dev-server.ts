/** Shared pieces for starting a Temporal dev server from tests and tools (they live in dev/ now). */
export { devServerExtraArgs } from '../../dev/server-flags';
export { createOwnLocalServer, executableFor } from '../../dev/own-dev-server';
