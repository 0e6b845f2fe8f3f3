/**
 * PostgreSQL for `otpflow cluster`: a database cluster of its own in the data folder, listening
 * on 127.0.0.1 only (no Unix socket), password-authenticated. PostgreSQL refuses to run as root,
 * so when the launcher is root it runs initdb and the server as the `postgres` user, which then
 * owns the data folder.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startChild, type SupervisedChild } from '../processes';

/** Thrown when PostgreSQL cannot be set up or started; the message says why and what to do. */
export class PostgresError extends Error {
  override readonly name = 'PostgresError';
  readonly code = 'POSTGRES';
}

/** The user and group PostgreSQL runs as: `postgres` when we are root, else ourselves (undefined). */
export function postgresAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new PostgresError(
      'PostgreSQL refuses to run as root and there is no `postgres` user: install PostgreSQL from your distribution (it creates one) or run otpflow as another user',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export interface PostgresOptions {
  binDir: string;
  /** PGDATA: created by `initPostgres`. */
  dataDir: string;
  port: number;
  user: string;
  password: string;
  logFile?: string;
  echo?: boolean;
}

/** Creates the database cluster in `dataDir` unless it exists; resolves true when it created one. */
export function initPostgres(o: PostgresOptions): boolean {
  if (existsSync(path.join(o.dataDir, 'PG_VERSION'))) return false;
  const account = postgresAccount();
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const pwfile = `${o.dataDir}.pwfile`;
  writeFileSync(pwfile, `${o.password}\n`, { mode: 0o600 });
  try {
    if (account) {
      chownSync(o.dataDir, account.uid, account.gid);
      chownSync(pwfile, account.uid, account.gid);
      // The postgres user must be able to reach the folder (a data folder under /root cannot be).
      const reach = spawnSync('sh', ['-c', 'cd "$1"', 'sh', o.dataDir], { ...account });
      if (reach.status !== 0) {
        throw new PostgresError(
          `the postgres user cannot reach ${o.dataDir} (PostgreSQL refuses to run as root, so it runs as postgres): choose a data folder every user can traverse, e.g. --data /tmp/otpflow-cluster`,
        );
      }
    }
    const r = spawnSync(
      path.join(o.binDir, 'initdb'),
      [
        '-D',
        o.dataDir,
        '-U',
        o.user,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
      ],
      { encoding: 'utf8', ...(account ?? {}) },
    );
    if (r.status !== 0) {
      rmSync(o.dataDir, { recursive: true, force: true });
      throw new PostgresError(`initdb failed:\n${`${r.stdout}${r.stderr}`.trim()}`);
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
  return true;
}

/** Whether `postmaster.pid` says that process `pid` is up and accepting connections. */
function postmasterReady(dataDir: string, pid: number): boolean {
  try {
    const lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return Number(lines[0]) === pid && (lines[7] ?? '').trim() === 'ready';
  } catch {
    return false;
  }
}

/**
 * Starts the server and resolves once it accepts connections. Readiness is read from our own
 * postmaster's `postmaster.pid`, so a PostgreSQL of someone else's on the port is never
 * mistaken for ours. Throws `PostgresError` with its output when it exits first.
 */
export async function startPostgres(o: PostgresOptions, timeoutMs = 60_000): Promise<SupervisedChild> {
  const account = postgresAccount();
  const child = startChild({
    name: 'PostgreSQL',
    command: path.join(o.binDir, 'postgres'),
    args: ['-D', o.dataDir, '-p', String(o.port), '-h', '127.0.0.1', '-k', ''],
    // SIGINT is PostgreSQL's "fast" shutdown: sessions are ended, the data is flushed cleanly.
    stopSignal: 'SIGINT',
    logFile: o.logFile,
    echo: o.echo,
    ...(account ?? {}),
  });
  const deadline = Date.now() + timeoutMs;
  while (!postmasterReady(o.dataDir, child.pid)) {
    if (!child.running()) {
      throw new PostgresError(`PostgreSQL exited during start-up:\n${child.output()}`);
    }
    if (Date.now() > deadline) {
      await child.stop(5_000);
      throw new PostgresError(`PostgreSQL did not get ready in ${timeoutMs / 1000} s:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}
