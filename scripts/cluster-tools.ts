/**
 * Makes sure `otpflow cluster` and its test suite have what they run: PostgreSQL (installed with
 * `apt-get install -y postgresql` when missing and this runs as root on Debian/Ubuntu, as CI
 * does), the Temporal server, its SQL tool and the Web UI server (built with `go install` into
 * `.tools/bin/` when missing), and the server's schema files (`.tools/temporal-schema/`).
 *
 * Run as a script: `tsx scripts/cluster-tools.ts --ensure [--quiet]` prints where each came from.
 */
import { spawnSync } from 'node:child_process';
import {
  ClusterToolError,
  findPostgresBin,
  resolveSchemaDir,
  resolveTool,
  toolProbe,
  TOOLS,
  type ToolProbe,
} from '../dev/cluster/binaries';

/** How `ensurePostgres` may change the machine; injectable so its branches can be tested. */
export interface PostgresInstaller {
  /** Whether this process runs as root (only root may apt-get). */
  isRoot(): boolean;
  /** Runs `apt-get` with `args`; resolves to its exit status. */
  aptGet(args: string[]): number | null;
}

const systemInstaller: PostgresInstaller = {
  isRoot: () => process.getuid?.() === 0,
  aptGet: (args) =>
    spawnSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status,
};

/** Installs Debian's PostgreSQL when it is missing and we may (root, apt-get); returns its bin folder or null. */
export function ensurePostgres(
  probe: ToolProbe = toolProbe,
  installer: PostgresInstaller = systemInstaller,
): string | null {
  const found = findPostgresBin(probe);
  if (found) return found;
  if (!installer.isRoot() || !probe.which('apt-get')) return null;
  probe.log('PostgreSQL is missing: apt-get install -y postgresql …');
  // A fresh machine's package lists may be empty or stale: update once, then try again.
  if (installer.aptGet(['install', '-y', 'postgresql']) !== 0) {
    installer.aptGet(['update']);
    installer.aptGet(['install', '-y', 'postgresql']);
  }
  return findPostgresBin(probe);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const build = args.includes('--ensure');
  const say = (m: string) => {
    if (!args.includes('--quiet')) console.error(m);
  };
  try {
    const pg = build ? ensurePostgres() : findPostgresBin(toolProbe);
    if (!pg) {
      throw new ClusterToolError(
        'PostgreSQL is not installed: `apt-get install -y postgresql` (Debian/Ubuntu), `brew install postgresql` (macOS), or set OTPFLOW_POSTGRES_BIN',
      );
    }
    say(`PostgreSQL: ${pg}`);
    for (const spec of Object.values(TOOLS)) {
      const r = resolveTool(spec, toolProbe, { build });
      say(`${spec.name}: ${r.path} (${r.source})`);
    }
    say(`Temporal schema: ${resolveSchemaDir(toolProbe, { fetch: build })}`);
  } catch (err) {
    if (!(err instanceof ClusterToolError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
