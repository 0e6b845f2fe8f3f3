/**
 * What `otpflow cluster` runs, and where it comes from. The Temporal server, its SQL tool and
 * the Web UI server are built from their Go modules like the CLI (scripts/temporal-cli.ts); each
 * is found in this order: its environment variable, its name on PATH, `.tools/bin/<name>`, a
 * fresh `go install` (Go ≥ 1.25) into `.tools/bin/`. The server's PostgreSQL schema files come
 * from its module and are kept in `.tools/temporal-schema/<version>/`. PostgreSQL itself is the
 * machine's (`OTPFLOW_POSTGRES_BIN`, `pg_config --bindir`, `initdb` on PATH, Debian's
 * `/usr/lib/postgresql/<n>/bin`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
} from 'node:fs';
import path from 'node:path';
import { LOCAL_BIN_DIR, MIN_GO, parseGoVersion, PROJECT_ROOT, systemProbe } from '../../scripts/temporal-cli';

/** The Temporal server release the cluster runs (docker-compose.yml pins the same). */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
/** The Web UI server release (the one the Temporal CLI 1.5.1 embeds; docker-compose.yml pins the same). */
export const TEMPORAL_UI_VERSION = '2.42.1';

/** A binary built from a Go package. */
export interface ToolSpec {
  /** Its name here: on PATH and in `.tools/bin/`. */
  name: 'temporal-server' | 'temporal-sql-tool' | 'temporal-ui-server';
  /** Environment variable naming the binary. */
  envVar: string;
  /** `go install` target without the version. */
  pkg: string;
  version: string;
}

export const TOOLS: Record<ToolSpec['name'], ToolSpec> = {
  'temporal-server': {
    name: 'temporal-server',
    envVar: 'TEMPORAL_SERVER_PATH',
    pkg: 'go.temporal.io/server/cmd/server',
    version: `v${TEMPORAL_SERVER_VERSION}`,
  },
  'temporal-sql-tool': {
    name: 'temporal-sql-tool',
    envVar: 'TEMPORAL_SQL_TOOL_PATH',
    pkg: 'go.temporal.io/server/cmd/tools/sql',
    version: `v${TEMPORAL_SERVER_VERSION}`,
  },
  'temporal-ui-server': {
    name: 'temporal-ui-server',
    envVar: 'TEMPORAL_UI_SERVER_PATH',
    pkg: 'github.com/temporalio/ui-server/v2/cmd/server',
    version: `v${TEMPORAL_UI_VERSION}`,
  },
};

/** Thrown when something the cluster needs is missing and cannot be built; the message says how to get it. */
export class ClusterToolError extends Error {
  override readonly name = 'ClusterToolError';
  readonly code = 'CLUSTER_TOOL_MISSING';
}

/** What resolution needs from the machine; injectable so every branch can be tested. */
export interface ToolProbe {
  env: NodeJS.ProcessEnv;
  which(name: string): string | null;
  isExecutable(file: string): boolean;
  exists(file: string): boolean;
  /** `go version` output, or null when Go is missing. */
  goVersion(): string | null;
  /** `go install pkg@version` with GOBIN=gobin; throws on failure. */
  goInstall(target: string, gobin: string): void;
  /** The module's directory in Go's module cache (downloading it when needed); throws on failure. */
  goModuleDir(moduleAtVersion: string): string;
  log(message: string): void;
}

export type ToolSource = 'env' | 'path' | 'local' | 'build';

/** Where a tool was found. */
export interface ToolResolution {
  source: ToolSource;
  path: string;
}

function goIsRecentEnough(output: string | null): boolean {
  const v = output ? parseGoVersion(output) : null;
  return !!v && (v[0] > MIN_GO[0] || (v[0] === MIN_GO[0] && v[1] >= MIN_GO[1]));
}

/**
 * Finds `spec`'s binary, building it when `build` is set and it is nowhere. Throws
 * `ClusterToolError` when the env variable names no executable, or nothing is found and it
 * cannot (or may not) be built.
 */
export function resolveTool(
  spec: ToolSpec,
  probe: ToolProbe,
  opts: { build: boolean; binDir?: string } = { build: false },
): ToolResolution {
  const explicit = probe.env[spec.envVar];
  if (explicit) {
    if (!probe.isExecutable(explicit))
      throw new ClusterToolError(`${spec.envVar}=${explicit} is not an executable file`);
    return { source: 'env', path: explicit };
  }
  const onPath = probe.which(spec.name);
  if (onPath) return { source: 'path', path: onPath };
  const binDir = opts.binDir ?? LOCAL_BIN_DIR;
  const local = path.join(binDir, spec.name);
  if (probe.isExecutable(local)) return { source: 'local', path: local };

  const how = `go install ${spec.pkg}@${spec.version} (renamed ${spec.name})`;
  if (!opts.build) {
    throw new ClusterToolError(
      `${spec.name} is not built yet: run \`npm run cluster\` (it builds it: ${how}) or set ${spec.envVar}`,
    );
  }
  const go = probe.goVersion();
  if (!goIsRecentEnough(go)) {
    throw new ClusterToolError(
      `${spec.name} is missing and cannot be built: ${go ? `${go.trim()} is older than go${MIN_GO.join('.')}` : 'Go is not installed'}. Install Go ≥ ${MIN_GO.join('.')} or set ${spec.envVar}`,
    );
  }
  probe.log(
    `Building ${spec.name} ${spec.version} into ${binDir} (${how}; first build only, it takes minutes)…`,
  );
  // Several of these binaries are called `server`: each is built in a scratch GOBIN, then renamed.
  mkdirSync(binDir, { recursive: true });
  const scratch = mkdtempSync(path.join(binDir, `.build-${spec.name}-`));
  try {
    probe.goInstall(`${spec.pkg}@${spec.version}`, scratch);
    const built = path.join(scratch, path.basename(spec.pkg));
    if (!probe.exists(built)) throw new ClusterToolError(`go install finished but ${built} is missing`);
    renameSync(built, local);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { source: 'build', path: local };
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(p);
    else chmodSync(p, 0o644);
  }
}

/** The `schema/` folder of the server module: `postgresql/v12/{temporal,visibility}/versioned`. */
export function resolveSchemaDir(
  probe: ToolProbe,
  opts: { fetch: boolean; cacheDir?: string } = { fetch: false },
): string {
  const explicit = probe.env.TEMPORAL_SCHEMA_DIR;
  if (explicit) {
    if (!probe.exists(path.join(explicit, 'postgresql', 'v12')))
      throw new ClusterToolError(`TEMPORAL_SCHEMA_DIR=${explicit} has no postgresql/v12 folder`);
    return explicit;
  }
  const kept =
    opts.cacheDir ?? path.join(PROJECT_ROOT, '.tools', 'temporal-schema', `v${TEMPORAL_SERVER_VERSION}`);
  if (probe.exists(path.join(kept, 'postgresql', 'v12'))) return kept;
  if (!opts.fetch) {
    throw new ClusterToolError(
      `the Temporal ${TEMPORAL_SERVER_VERSION} schema files are not in ${kept} yet: run \`npm run cluster\` (it copies them from the server's Go module) or set TEMPORAL_SCHEMA_DIR`,
    );
  }
  if (!probe.goVersion()) {
    throw new ClusterToolError(
      'the Temporal schema files come from the server Go module, and Go is not installed: set TEMPORAL_SCHEMA_DIR to a copy of its schema/ folder',
    );
  }
  const moduleDir = probe.goModuleDir(`go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`);
  mkdirSync(kept, { recursive: true });
  cpSync(path.join(moduleDir, 'schema', 'postgresql'), path.join(kept, 'postgresql'), { recursive: true });
  // Go's module cache is read-only; the copy must not be, or it could not be deleted.
  makeWritable(kept);
  return kept;
}

/** Where PostgreSQL's programs are (`initdb`, `postgres`, `pg_isready`), or null. */
export function findPostgresBin(probe: ToolProbe, debianRoot = '/usr/lib/postgresql'): string | null {
  const complete = (dir: string) =>
    ['initdb', 'postgres', 'pg_isready'].every((p) => probe.isExecutable(path.join(dir, p)));
  const explicit = probe.env.OTPFLOW_POSTGRES_BIN;
  if (explicit) {
    if (!complete(explicit))
      throw new ClusterToolError(`OTPFLOW_POSTGRES_BIN=${explicit} has no initdb, postgres and pg_isready`);
    return explicit;
  }
  const pgConfig = probe.which('pg_config');
  if (pgConfig) {
    const r = spawnSync(pgConfig, ['--bindir'], { encoding: 'utf8' });
    const dir = r.status === 0 ? r.stdout.trim() : '';
    if (dir && complete(dir)) return dir;
  }
  const initdb = probe.which('initdb');
  if (initdb) {
    const dir = path.dirname(realpathSync(initdb));
    if (complete(dir)) return dir;
  }
  if (probe.exists(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions)
      if (complete(path.join(debianRoot, v, 'bin'))) return path.join(debianRoot, v, 'bin');
  }
  return null;
}

/** PostgreSQL's bin folder; throws `ClusterToolError` saying how to install it. */
export function requirePostgresBin(probe: ToolProbe): string {
  const dir = findPostgresBin(probe);
  if (!dir) {
    throw new ClusterToolError(
      'PostgreSQL is not installed: `apt-get install -y postgresql` (Debian/Ubuntu), `brew install postgresql` (macOS), or set OTPFLOW_POSTGRES_BIN to the folder holding initdb, postgres and pg_isready',
    );
  }
  return dir;
}

/** The probe for this machine. */
export const toolProbe: ToolProbe = {
  env: process.env,
  which: (name) => systemProbe.which(name),
  isExecutable: (file) => systemProbe.isExecutable(file),
  exists: (file) => existsSync(file),
  goVersion: () => systemProbe.goVersion(),
  goInstall(target, gobin) {
    execFileSync('go', ['install', target], { stdio: 'inherit', env: { ...process.env, GOBIN: gobin } });
  },
  goModuleDir(moduleAtVersion) {
    const out = execFileSync('go', ['mod', 'download', '-json', moduleAtVersion], { encoding: 'utf8' });
    const dir = (JSON.parse(out) as { Dir?: string }).Dir;
    if (!dir) throw new ClusterToolError(`go mod download ${moduleAtVersion} named no directory`);
    return dir;
  },
  log: (m) => console.error(m),
};

/** Everything the cluster runs. */
export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  /** Undefined when the Web UI is not wanted. */
  ui?: string;
  schemaDir: string;
  postgresBin: string;
}

/** Resolves (and with `build`, builds) everything; throws `ClusterToolError` naming what is missing. */
export function resolveClusterBinaries(
  opts: { build: boolean; ui: boolean },
  probe: ToolProbe = toolProbe,
): ClusterBinaries {
  return {
    postgresBin: requirePostgresBin(probe),
    server: resolveTool(TOOLS['temporal-server'], probe, opts).path,
    sqlTool: resolveTool(TOOLS['temporal-sql-tool'], probe, opts).path,
    ...(opts.ui ? { ui: resolveTool(TOOLS['temporal-ui-server'], probe, opts).path } : {}),
    schemaDir: resolveSchemaDir(probe, { fetch: opts.build }),
  };
}
