/**
 * `npm ci` on the oldest Node that package.json's `engines` allows prints no EBADENGINE: every
 * package in the lock file accepts that version. Ranges are read with a small evaluator of
 * npm's range grammar (the forms the lock uses: `>=`, `>`, `<`, `<=`, `^`, `~`, `x`/`*`, `||`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

type Version = [number, number, number];

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  overrides?: Record<string, unknown>;
};
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

function parse(text: string): { v: Version; wild: number } {
  const parts = text.replace(/^v/, '').split('.');
  const nums: number[] = [];
  for (const p of parts.slice(0, 3)) {
    if (p === 'x' || p === 'X' || p === '*' || p === '') break;
    nums.push(Number.parseInt(p, 10));
  }
  return { v: [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0], wild: nums.length };
}

const cmp = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

function comparator(version: Version, token: string): boolean {
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.*)$/.exec(token.trim());
  const op = m?.[1] ?? '';
  const { v, wild } = parse(m?.[2] ?? '*');
  const c = cmp(version, v);
  if (op === '>=') return c >= 0;
  if (op === '>') return c > 0;
  if (op === '<=') return c <= 0;
  if (op === '<') return c < 0;
  if (op === '^') return c >= 0 && version[0] === v[0];
  if (op === '~') return c >= 0 && version[0] === v[0] && version[1] === v[1];
  if (wild === 0) return true;
  // `20`, `20.x`, `6.*`: the named parts must match.
  return version.slice(0, wild).every((n, i) => n === v[i]);
}

/** Whether `version` satisfies an npm range such as `^20.19.0 || >=22.12.0` or `>= 10.x`. */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((alt) =>
    alt
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .filter((t) => t !== '')
      .every((t) => comparator(version, t)),
  );
}

const floor = /^>=\s*(\d+\.\d+\.\d+)$/.exec(pkg.engines.node)?.[1];

describe('Node engine', () => {
  it('the range reader reads the forms the lock uses', () => {
    const v = parse('20.19.0').v;
    expect(satisfies(v, '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies(parse('20.18.0').v, '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies(v, '>=22')).toBe(false);
    expect(satisfies(v, '18 || 20 || >=22')).toBe(true);
    expect(satisfies(v, '6.* || 8.* || >= 10.*')).toBe(true);
    expect(satisfies(v, '^12.22.0 || ^14.17.0 || >=16.0.0')).toBe(true);
    expect(satisfies(v, '>=20.18.1')).toBe(true);
  });

  it('engines.node is a plain lower bound', () => {
    expect(floor, `engines.node is ${pkg.engines.node}`).toBeDefined();
  });

  it('every package in the lock accepts the oldest supported Node (no EBADENGINE)', () => {
    const oldest = parse(floor ?? '0.0.0').v;
    const refused = Object.entries(lock.packages)
      .filter(([name]) => name !== '')
      .flatMap(([name, entry]) => {
        const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        return range && !satisfies(oldest, range) ? [`${name}@${entry.version} wants node ${range}`] : [];
      });
    expect(refused).toEqual([]);
  });

  it('light-my-request (fastify inject) resolves a cookie that runs on Node 20', () => {
    const cookie =
      lock.packages['node_modules/light-my-request/node_modules/cookie'] ??
      lock.packages['node_modules/cookie'];
    expect(cookie?.version).toMatch(/^1\./);
    expect(pkg.overrides).toHaveProperty(['light-my-request', 'cookie']);
  });
});
