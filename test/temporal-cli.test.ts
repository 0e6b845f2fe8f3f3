import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeResolution,
  parseGoVersion,
  resolveTemporalCli,
  type TemporalCliProbe,
} from '../scripts/temporal-cli';

function probe(over: Partial<TemporalCliProbe> & { executables?: string[] } = {}): TemporalCliProbe & {
  installs: string[];
  logs: string[];
} {
  const executables = new Set(over.executables ?? []);
  const installs: string[] = [];
  const logs: string[] = [];
  return {
    env: {},
    which: () => null,
    isExecutable: (f) => executables.has(f),
    goVersion: () => null,
    goInstall: (dir) => {
      installs.push(dir);
      executables.add(path.join(dir, 'temporal'));
    },
    log: (m) => logs.push(m),
    ...over,
    installs,
    logs,
  };
}

const binDir = '/project/.tools/bin';
const local = path.join(binDir, 'temporal');

describe('resolveTemporalCli', () => {
  it('prefers TEMPORAL_CLI_PATH over everything else', () => {
    const p = probe({
      env: { TEMPORAL_CLI_PATH: '/opt/temporal' },
      executables: ['/opt/temporal', local],
      which: () => '/usr/bin/temporal',
    });
    expect(resolveTemporalCli(p, { build: true, binDir })).toEqual({ source: 'env', path: '/opt/temporal' });
  });

  it('rejects a TEMPORAL_CLI_PATH that is not executable instead of ignoring it', () => {
    const p = probe({ env: { TEMPORAL_CLI_PATH: '/nope/temporal' } });
    expect(() => resolveTemporalCli(p, { build: true, binDir })).toThrow(
      /TEMPORAL_CLI_PATH=\/nope\/temporal/,
    );
  });

  it('uses temporal on PATH next', () => {
    const p = probe({
      which: (n) => (n === 'temporal' ? '/usr/local/bin/temporal' : null),
      executables: [local],
    });
    expect(resolveTemporalCli(p, { build: true, binDir })).toEqual({
      source: 'path',
      path: '/usr/local/bin/temporal',
    });
  });

  it('reuses the project-local build without rebuilding', () => {
    const p = probe({ executables: [local], goVersion: () => 'go version go1.26.8 linux/amd64' });
    expect(resolveTemporalCli(p, { build: true, binDir })).toEqual({ source: 'local', path: local });
    expect(p.installs).toEqual([]);
  });

  it('builds into the project-local folder when Go is recent enough, saying so', () => {
    const p = probe({ goVersion: () => 'go version go1.25.0 linux/amd64' });
    expect(resolveTemporalCli(p, { build: true, binDir })).toEqual({ source: 'build', path: local });
    expect(p.installs).toEqual([binDir]);
    expect(p.logs.join('\n')).toMatch(/takes a few minutes/);
  });

  it('does not build when asked not to', () => {
    const p = probe({ goVersion: () => 'go version go1.26.8 linux/amd64' });
    const r = resolveTemporalCli(p, { build: false, binDir });
    expect(r.source).toBe('sdk-download');
    expect(p.installs).toEqual([]);
  });

  it('leaves it to the SDK download when Go is too old', () => {
    const p = probe({ goVersion: () => 'go version go1.24.3 linux/amd64' });
    const r = resolveTemporalCli(p, { build: true, binDir });
    expect(r).toMatchObject({ source: 'sdk-download', path: null });
    expect(describeResolution(r)).toMatch(/go1\.24\.3 .* older than go1\.25/);
    expect(p.installs).toEqual([]);
  });

  it('leaves it to the SDK download when Go is missing', () => {
    const r = resolveTemporalCli(probe(), { build: true, binDir });
    expect(r).toMatchObject({ source: 'sdk-download', reason: 'Go is not installed' });
  });

  it('fails loudly when go install leaves no binary', () => {
    const p = probe({ goVersion: () => 'go version go1.26.0 linux/amd64', goInstall: () => undefined });
    expect(() => resolveTemporalCli(p, { build: true, binDir })).toThrow(/missing/);
  });
});

describe('parseGoVersion', () => {
  it('reads major and minor', () => {
    expect(parseGoVersion('go version go1.26.8 linux/amd64')).toEqual([1, 26]);
    expect(parseGoVersion('garbage')).toBeNull();
  });
});
