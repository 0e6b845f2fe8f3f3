/**
 * The walls between the folders, read from the sources' own import lines: product folders
 * never import test/; the client library never loads workflow code, fastify, the API or the
 * CLI at run time (type-only imports are fine); the emulator imports nothing of otpflow;
 * workflows/ and domain/ import nothing that does I/O.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const PRODUCT = [
  'activities',
  'api',
  'bench',
  'bin',
  'cli',
  'client',
  'codec',
  'config',
  'dev',
  'domain',
  'emulator',
  'infobip',
  'scripts',
  'setup',
  'worker',
  'workflows',
];

interface Import {
  /** The file that imports, relative to the root. */
  from: string;
  /** What it names: a package, or a file relative to the root (without extension). */
  target: string;
  /** A file of this repository (a relative import), not a package. */
  local: boolean;
  /** `import type` / `export type`, or every named binding marked `type`: erased at run time. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sourceFiles(rel);
    return /\.(ts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** `../domain/types` from `client/x.ts` → `domain/types`; a package name stays as it is. */
function resolve(from: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const base = path.normalize(path.join(path.dirname(from), spec)).replace(/\.(ts|js)$/, '');
  if (existsSync(path.join(ROOT, base, 'index.ts'))) return `${base}/index`;
  return base;
}

const STATIC =
  /(?:^|\n)[ \t]*(import|export)[ \t]+(type[ \t]+)?((?:[\w*${},\s]|\/\/[^\n]*)*?)[ \t]*from[ \t]*['"]([^'"]+)['"]/g;
const BARE = /(?:^|\n)[ \t]*import[ \t]*['"]([^'"]+)['"]/g;
const CALL = /\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(STATIC)) {
    const bindings = (m[3] ?? '').trim();
    const named = /^\{([\s\S]*)\}$/.exec(bindings)?.[1];
    const allTypes =
      named !== undefined &&
      named
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean)
        .every((b) => b.startsWith('type '));
    const spec = m[4] as string;
    out.push({
      from: file,
      target: resolve(file, spec),
      local: spec.startsWith('.'),
      typeOnly: Boolean(m[2]) || allTypes,
    });
  }
  for (const m of [...text.matchAll(BARE), ...text.matchAll(CALL)]) {
    const spec = m[1] as string;
    out.push({ from: file, target: resolve(file, spec), local: spec.startsWith('.'), typeOnly: false });
  }
  return out;
}

const files = PRODUCT.flatMap(sourceFiles);
const imports = new Map(files.map((f) => [f.replace(/\.(ts|js|mjs|cjs)$/, ''), importsOf(f)]));
const all = [...imports.values()].flat();
const runtime = (i: Import) => !i.typeOnly;
const inFolder = (target: string, folder: string) => target === folder || target.startsWith(`${folder}/`);
const show = (list: Import[]) => list.map((i) => `${i.from} → ${i.target}${i.typeOnly ? ' (type)' : ''}`);

/** Every module `start` loads at run time, transitively, within the repository and out of it. */
function loadedBy(start: string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const queue = start.map((s) => [s, s] as const);
  while (queue.length > 0) {
    const [mod, via] = queue.shift()!;
    for (const i of (imports.get(mod) ?? []).filter(runtime)) {
      if (seen.has(i.target)) continue;
      seen.set(i.target, `${via} → ${i.target}`);
      if (imports.has(i.target)) queue.push([i.target, `${via} → ${i.target}`]);
    }
  }
  return seen;
}

const NODE = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const IO_PACKAGES = [
  'undici',
  'fastify',
  'pino',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
];
const doesIo = (i: Import) =>
  !i.local &&
  (NODE.has(i.target) ||
    NODE.has(i.target.split('/')[0] as string) ||
    IO_PACKAGES.some((p) => inFolder(i.target, p)));

describe('import boundaries', () => {
  it('reads the imports of every product folder', () => {
    // A parser that finds nothing would make every rule below pass: guard against it.
    expect(files.length).toBeGreaterThan(100);
    expect(all.filter((i) => i.from.startsWith('client/')).length).toBeGreaterThan(30);
    expect(all.some((i) => i.from === 'client/otp-client.ts' && i.target === 'domain/messages')).toBe(true);
    expect(all.some((i) => i.from === 'workflows/verification.ts' && i.typeOnly)).toBe(true);
  });

  it('no product folder imports test/', () => {
    expect(show(all.filter((i) => inFolder(i.target, 'test')))).toEqual([]);
  });

  it('client/ loads no workflow code, no fastify, no API or CLI at run time, even through other modules', () => {
    const entries = files.filter((f) => f.startsWith('client/')).map((f) => f.replace(/\.ts$/, ''));
    const forbidden = ['workflows', '@temporalio/workflow', 'fastify', '@fastify', 'api', 'cli'];
    const reached = [...loadedBy(entries)].filter(([target]) => forbidden.some((f) => inFolder(target, f)));
    expect(reached.map(([, chain]) => chain)).toEqual([]);
  });

  it('emulator/ imports nothing of otpflow (it mirrors Infobip on purpose)', () => {
    const outside = all.filter(
      (i) => i.from.startsWith('emulator/') && i.local && !inFolder(i.target, 'emulator'),
    );
    expect(show(outside)).toEqual([]);
  });

  it('workflows/ and domain/ import nothing that does I/O, and domain/ nothing of workflows/', () => {
    const sandboxed = all.filter((i) => i.from.startsWith('workflows/') || i.from.startsWith('domain/'));
    const local = (i: Import) =>
      inFolder(i.target, 'domain') || (i.from.startsWith('workflows/') && inFolder(i.target, 'workflows'));
    const wrong = sandboxed.filter(
      (i) =>
        doesIo(i) ||
        (runtime(i) && i.local && !local(i)) ||
        (i.from.startsWith('domain/') &&
          (i.target === '@temporalio/workflow' || inFolder(i.target, 'workflows'))),
    );
    expect(show(wrong)).toEqual([]);
  });
});
