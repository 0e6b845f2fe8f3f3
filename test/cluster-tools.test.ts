/**
 * How `otpflow cluster`, `npm test` and CI find what the cluster runs: each Temporal binary by
 * its variable, PATH, `.tools/bin/` or a fresh `go install`, and PostgreSQL, installed with
 * apt-get only when it is missing and the command runs as root. A fake machine stands in for
 * this one, so every branch runs here whatever is installed.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterToolError, resolveTool, TOOLS, type ToolProbe } from '../dev/cluster/binaries';
import { ensurePostgres } from '../scripts/cluster-tools';

const root = mkdtempSync(path.join(tmpdir(), 'otpflow-cluster-tools-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = path.join(root, String(n++));
  mkdirSync(d, { recursive: true });
  return d;
};

/** A machine with only what `over` gives it; `executables` are the files it may run. */
function fakeProbe(over: Partial<ToolProbe> & { executables?: Set<string> } = {}): ToolProbe & {
  logged: string[];
  installs: string[];
} {
  const executables = over.executables ?? new Set<string>();
  const logged: string[] = [];
  const installs: string[] = [];
  return {
    env: {},
    which: () => null,
    isExecutable: (f) => executables.has(f),
    exists: (f) => existsSync(f),
    goVersion: () => null,
    goInstall: (target, gobin) => {
      installs.push(target);
      writeFileSync(path.join(gobin, path.basename(target.split('@')[0]!)), '#!/bin/sh\n');
    },
    goModuleDir: () => {
      throw new Error('not here');
    },
    log: (m) => logged.push(m),
    ...over,
    logged,
    installs,
  };
}

describe('the Temporal binaries of the cluster', () => {
  const spec = TOOLS['temporal-server'];

  it('takes the environment variable first, and refuses one that names no executable', () => {
    const probe = fakeProbe({
      env: { TEMPORAL_SERVER_PATH: '/opt/ts' },
      executables: new Set(['/opt/ts']),
      which: () => '/usr/bin/temporal-server',
    });
    expect(resolveTool(spec, probe)).toEqual({ source: 'env', path: '/opt/ts' });
    const bad = fakeProbe({ env: { TEMPORAL_SERVER_PATH: '/opt/missing' } });
    expect(() => resolveTool(spec, bad)).toThrow(/TEMPORAL_SERVER_PATH=\/opt\/missing is not an executable/);
  });

  it('then PATH, then .tools/bin', () => {
    expect(resolveTool(spec, fakeProbe({ which: (n) => `/usr/bin/${n}` }))).toEqual({
      source: 'path',
      path: '/usr/bin/temporal-server',
    });
    const binDir = freshDir();
    const local = path.join(binDir, 'temporal-server');
    expect(resolveTool(spec, fakeProbe({ executables: new Set([local]) }), { build: false, binDir })).toEqual(
      { source: 'local', path: local },
    );
  });

  it('says how to get a missing binary when it may not build, and when Go is missing or old', () => {
    const binDir = freshDir();
    expect(() => resolveTool(spec, fakeProbe(), { build: false, binDir })).toThrow(
      /temporal-server is not built yet: run `npm run cluster`.*go install go\.temporal\.io\/server\/cmd\/server@v1\.29\.1.*TEMPORAL_SERVER_PATH/,
    );
    expect(() => resolveTool(spec, fakeProbe(), { build: true, binDir })).toThrow(/Go is not installed/);
    const old = fakeProbe({ goVersion: () => 'go version go1.21.0 linux/amd64' });
    expect(() => resolveTool(spec, old, { build: true, binDir })).toThrow(ClusterToolError);
    expect(() => resolveTool(spec, old, { build: true, binDir })).toThrow(
      /go version go1\.21\.0 linux\/amd64 is older than go1\.25/,
    );
  });

  it('builds a missing one with go install into .tools/bin under its own name', () => {
    const binDir = freshDir();
    for (const tool of Object.values(TOOLS)) {
      const probe = fakeProbe({ goVersion: () => 'go version go1.26.8 linux/amd64' });
      const r = resolveTool(tool, probe, { build: true, binDir });
      expect(r).toEqual({ source: 'build', path: path.join(binDir, tool.name) });
      expect(existsSync(r.path)).toBe(true);
      expect(probe.installs).toEqual([`${tool.pkg}@${tool.version}`]);
    }
    // The scratch GOBINs are gone: three binaries all called `server` never overwrite each other.
    expect(existsSync(path.join(binDir, 'server'))).toBe(false);
  });
});

describe('PostgreSQL for the cluster', () => {
  /** A machine where `initdb` appears on PATH once `postgresql` is installed. */
  function machine(o: { root: boolean; aptGet: boolean; installFailsFirst?: boolean }) {
    const bin = freshDir();
    const programs = ['initdb', 'postgres', 'pg_isready'].map((p) => path.join(bin, p));
    let installed = false;
    const calls: string[][] = [];
    const probe = fakeProbe({
      which: (name) =>
        name === 'apt-get'
          ? o.aptGet
            ? '/usr/bin/apt-get'
            : null
          : name === 'initdb' && installed
            ? programs[0]!
            : null,
      exists: () => false,
      isExecutable: (f) => installed && programs.includes(f),
    });
    const installer = {
      isRoot: () => o.root,
      aptGet: (args: string[]) => {
        calls.push(args);
        if (args[0] !== 'install') return 0;
        if (o.installFailsFirst && calls.filter((c) => c[0] === 'install').length === 1) return 100;
        for (const p of programs) writeFileSync(p, '');
        installed = true;
        return 0;
      },
    };
    return { probe, installer, calls, bin };
  }

  it('installs it with apt-get when it is missing and this runs as root', () => {
    const m = machine({ root: true, aptGet: true });
    expect(ensurePostgres(m.probe, m.installer)).toBe(m.bin);
    expect(m.calls).toEqual([['install', '-y', 'postgresql']]);
    expect(m.probe.logged.join('\n')).toContain('apt-get install -y postgresql');
  });

  it('updates the package lists and tries again when the first install fails', () => {
    const m = machine({ root: true, aptGet: true, installFailsFirst: true });
    expect(ensurePostgres(m.probe, m.installer)).toBe(m.bin);
    expect(m.calls).toEqual([['install', '-y', 'postgresql'], ['update'], ['install', '-y', 'postgresql']]);
  });

  it('changes nothing when not root or without apt-get: the caller says how to install it', () => {
    for (const o of [
      { root: false, aptGet: true },
      { root: true, aptGet: false },
    ]) {
      const m = machine(o);
      expect(ensurePostgres(m.probe, m.installer)).toBeNull();
      expect(m.calls).toEqual([]);
    }
  });
});
