/**
 * `tsx scripts/trim-infobip-openapi.ts <dir with Infobip's 2fa.json and number-lookup.json>`
 *
 * Rewrites `emulator/openapi/2fa.json` and `emulator/openapi/number-lookup.json` from Infobip's
 * published OpenAPI documents, kept to what the schema tests need: the operations the emulator
 * serves (`emulator/routes.ts`), their parameters and JSON request/response schemas, and the
 * component schemas those reach. Examples, XML bodies, tags, security and vendor extensions go.
 * Descriptions stay: they are where Infobip documents fields such as `trackDelivery`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROUTES } from '../emulator/routes';

type Json = Record<string, unknown>;

const FILES = ['2fa.json', 'number-lookup.json'];
const OUT_DIR = path.resolve(__dirname, '../emulator/openapi');
const DROP_KEYS = new Set(['example', 'examples', 'externalDocs', 'x-scopes', 'tags', 'security']);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy without examples and extensions, keeping only `application/json` content. */
function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROP_KEYS.has(key) || key.startsWith('x-')) continue;
    if (key === 'content' && isObject(value)) {
      const json = value['application/json'];
      if (json !== undefined) out.content = { 'application/json': clean(json) };
      continue;
    }
    out[key] = clean(value);
  }
  return out;
}

/** Every `#/components/<kind>/<name>` reference reachable from `node` (following references). */
function reachable(doc: Json, node: unknown, seen = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => reachable(doc, n, seen));
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/')) {
        if (seen.has(value)) continue;
        seen.add(value);
        const [, , kind = '', name = ''] = value.split('/');
        reachable(doc, ((doc.components as Json)[kind] as Json | undefined)?.[name], seen);
      } else reachable(doc, value, seen);
    }
  }
  return seen;
}

function trim(doc: Json, file: string): Json {
  const served = new Set(ROUTES.map((r) => `${r.method.toLowerCase()} ${r.template}`));
  const paths: Json = {};
  for (const [template, ops] of Object.entries(doc.paths as Json)) {
    const kept: Json = {};
    for (const [method, op] of Object.entries(ops as Json)) {
      if (!served.has(`${method} ${template}`)) continue;
      const { summary, operationId, parameters, requestBody, responses } = op as Json;
      kept[method] = clean({ summary, operationId, parameters, requestBody, responses });
    }
    if (Object.keys(kept).length > 0) paths[template] = kept;
  }
  const components: Json = {};
  for (const ref of reachable(doc, paths)) {
    const [, , kind = '', name = ''] = ref.split('/');
    const source = ((doc.components as Json)[kind] as Json)[name];
    ((components[kind] ??= {}) as Json)[name] = clean(source);
  }
  const info = doc.info as Json;
  return {
    openapi: doc.openapi,
    info: {
      title: info.title,
      version: info.version,
      description: `Trimmed copy of Infobip's OpenAPI document ${file} (v${String(info.version)}): only the operations the otpflow emulator serves, their JSON schemas and the components they use. Made by scripts/trim-infobip-openapi.ts.`,
    },
    paths,
    components,
  };
}

function main(): void {
  const sourceDir = process.argv[2];
  if (!sourceDir) {
    console.error('Usage: tsx scripts/trim-infobip-openapi.ts <dir with 2fa.json and number-lookup.json>');
    process.exit(2);
  }
  mkdirSync(OUT_DIR, { recursive: true });
  for (const file of FILES) {
    const doc = JSON.parse(readFileSync(path.join(sourceDir, file), 'utf8')) as Json;
    const out = trim(doc, file);
    writeFileSync(path.join(OUT_DIR, file), `${JSON.stringify(out, null, 1)}\n`);
    console.log(
      `${file}: ${Object.keys(out.paths as Json).length} paths → ${path.relative(process.cwd(), OUT_DIR)}`,
    );
  }
}

main();
