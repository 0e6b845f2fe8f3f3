/** Helpers for the stacks tests run as processes. */

/**
 * This process's environment without the secrets and applications file a developer's shell
 * may set, so the stack generates its own (and reads the default applications), plus `over`
 * (where `undefined` removes a variable).
 */
export function stackProcessEnv(over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [
    'OTPFLOW_API_KEYS',
    'OTPFLOW_DESTINATION_HASH_KEY',
    'OTPFLOW_ENCRYPTION_KEYS',
    'OTPFLOW_CONFIG',
  ])
    delete env[k];
  const merged: NodeJS.ProcessEnv = { ...env, ...over };
  // An `undefined` in `over` removes the variable.
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return merged;
}

/** Whether process `pid` is still running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
