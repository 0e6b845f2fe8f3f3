/** Locates files shipped at the project root, from sources (`config/`) or a build (`dist/config/`). */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Absolute path of a project-root file such as `otpflow.config.json`. */
export function projectFile(name: string): string {
  const candidates = [path.resolve(__dirname, '..', name), path.resolve(__dirname, '..', '..', name)];
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}
