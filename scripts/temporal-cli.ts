/**
 * Finds a usable `temporal` CLI binary (the Temporal dev server with its Web UI).
 *
 * Order: `$TEMPORAL_CLI_PATH`, then `temporal` on PATH, then the project-local build in
 * `.tools/bin/temporal`, built when missing with `go install …@v1.5.1` (the newest release
 * `go install` can build; later ones carry a `replace` directive). Without a binary and
 * without Go ≥ 1.25, the caller falls back to the SDK's own download (needs internet).
 *
 * Run as a script: `tsx scripts/temporal-cli.ts --ensure [--quiet]` prints where the binary
 * came from and its path, building it first when needed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** Minimum Go version that builds the CLI. */
export const MIN_GO = [1, 25] as const;

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const LOCAL_BIN_DIR = path.join(PROJECT_ROOT, '.tools', 'bin');

export type TemporalCliSource = 'env' | 'path' | 'local' | 'build' | 'sdk-download';

export type TemporalCliResolution =
  | { source: Exclude<TemporalCliSource, 'sdk-download'>; path: string }
  | { source: 'sdk-download'; path: null; reason: string };

/** What resolution needs from the machine; injectable so every branch can be tested. */
export interface TemporalCliProbe {
  env: NodeJS.ProcessEnv;
  /** Path of an executable named `name` on PATH, or null. */
  which(name: string): string | null;
  isExecutable(file: string): boolean;
  /** `go version` output, or null when Go is missing. */
  goVersion(): string | null;
  /** Runs `go install`; throws on failure. */
  goInstall(binDir: string): void;
  log(message: string): void;
}

/** Parses `go version go1.26.8 linux/amd64` into [1, 26]; null when unreadable. */
export function parseGoVersion(output: string): [number, number] | null {
  const m = /go(\d+)\.(\d+)/.exec(output);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function goIsRecentEnough(output: string | null): boolean {
  const v = output ? parseGoVersion(output) : null;
  if (!v) return false;
  return v[0] > MIN_GO[0] || (v[0] === MIN_GO[0] && v[1] >= MIN_GO[1]);
}

/**
 * Resolves the CLI. With `build: false` it never builds and reports `sdk-download` when
 * no binary exists. Throws when `TEMPORAL_CLI_PATH` names something that is not executable
 * (a wrong explicit setting should not be silently ignored).
 */
export function resolveTemporalCli(
  probe: TemporalCliProbe,
  opts: { build: boolean; binDir?: string } = { build: true },
): TemporalCliResolution {
  const explicit = probe.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!probe.isExecutable(explicit)) {
      throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    }
    return { source: 'env', path: explicit };
  }
  const onPath = probe.which('temporal');
  if (onPath) return { source: 'path', path: onPath };

  const binDir = opts.binDir ?? LOCAL_BIN_DIR;
  const local = path.join(binDir, 'temporal');
  if (probe.isExecutable(local)) return { source: 'local', path: local };

  const go = probe.goVersion();
  if (!goIsRecentEnough(go)) {
    return {
      source: 'sdk-download',
      path: null,
      reason: go
        ? `${go.trim()} is older than go${MIN_GO.join('.')}, which the Temporal CLI ${TEMPORAL_CLI_VERSION} needs`
        : 'Go is not installed',
    };
  }
  if (!opts.build) {
    return { source: 'sdk-download', path: null, reason: `${local} is not built yet` };
  }
  probe.log(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} into ${binDir} with go install (first build only; it takes a few minutes)…`,
  );
  probe.goInstall(binDir);
  if (!probe.isExecutable(local)) throw new Error(`go install finished but ${local} is missing`);
  return { source: 'build', path: local };
}

/** The probe for this machine. */
export const systemProbe: TemporalCliProbe = {
  env: process.env,
  which(name) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      if (!dir) continue;
      const candidate = path.join(dir, name);
      if (systemProbe.isExecutable(candidate)) return candidate;
    }
    return null;
  },
  isExecutable(file) {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  goVersion() {
    const r = spawnSync('go', ['version'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout : null;
  },
  goInstall(binDir) {
    mkdirSync(binDir, { recursive: true });
    execFileSync('go', ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: binDir },
    });
  },
  log: (m) => console.error(m),
};

const DESCRIBE: Record<TemporalCliSource, string> = {
  env: 'from TEMPORAL_CLI_PATH',
  path: 'found on PATH',
  local: 'project-local build, reused',
  build: 'built now into the project',
  'sdk-download': 'none here; the Temporal SDK will download one (needs internet)',
};

/** One line saying where the binary came from. */
export function describeResolution(r: TemporalCliResolution): string {
  return r.source === 'sdk-download'
    ? `Temporal CLI: ${DESCRIBE[r.source]} — ${r.reason}`
    : `Temporal CLI: ${r.path} (${DESCRIBE[r.source]})`;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const resolution = resolveTemporalCli(systemProbe, { build: args.includes('--ensure') });
  if (!args.includes('--quiet') || !resolution.path) console.error(describeResolution(resolution));
}
