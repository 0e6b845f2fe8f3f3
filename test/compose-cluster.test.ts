/**
 * docker-compose.yml and `otpflow cluster` must run the same Temporal: server and UI versions,
 * the schema steps against the same databases, the dynamic config, the history shard count,
 * the namespace's retention and otpflow's search attributes. Compose cannot run here, so this
 * reads the file and compares it with the launcher's own definitions.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from '../dev/cluster/binaries';
import { NUM_HISTORY_SHARDS } from '../dev/cluster/config-files';
import { schemaSteps, SQL_PLUGIN } from '../dev/cluster/schema';
import { NAMESPACE_RETENTION_HOURS } from '../dev/cluster/temporal';
import { dynamicConfigYaml, OTPFLOW_DYNAMIC_CONFIG } from '../dev/server-flags';
import { SEARCH_ATTRIBUTES } from '../domain/constants';

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  configs?: { source: string; target: string }[];
}
const compose = parse(readFileSync(path.join(__dirname, '..', 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as {
  services: Record<string, Service>;
  configs?: Record<string, { content?: string }>;
};
const service = (name: string) => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no ${name} service`);
  return s;
};
const script = (name: string) => (service(name).command ?? []).join('\n');

describe('docker-compose.yml runs the Temporal of otpflow cluster', () => {
  it('pins the same server, admin tools and Web UI versions', () => {
    expect(service('temporal').image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    for (const job of ['temporal-schema', 'temporal-namespace'])
      expect(service(job).image).toMatch(
        new RegExp(`^temporalio/admin-tools:${TEMPORAL_SERVER_VERSION.replace(/\./g, '\\.')}-`),
      );
    expect(service('temporal-ui').image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
  });

  it('sets the schema up with exactly the launcher steps, in order, on the same plugin and databases', () => {
    const schema = service('temporal-schema');
    expect(schema.environment?.SQL_PLUGIN).toBe(SQL_PLUGIN);
    expect(schema.environment?.SQL_HOST).toBe(service('temporal').environment?.POSTGRES_SEEDS);
    const steps = script('temporal-schema')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('temporal-sql-tool'))
      .map((l) => {
        const words = l.split(/\s+/).slice(1);
        expect(words[0], l).toBe('--db');
        return { database: words[1], command: words.slice(2) };
      });
    // The admin-tools image keeps the server's schema/ folder at /etc/temporal/schema.
    expect(steps).toEqual(schemaSteps('/etc/temporal/schema', path.posix.join));
  });

  it('gives the server the same store, shard count and dynamic config', () => {
    const temporal = service('temporal');
    expect(temporal.environment?.DB).toBe(SQL_PLUGIN);
    expect(Number(temporal.environment?.NUM_HISTORY_SHARDS)).toBe(NUM_HISTORY_SHARDS);
    const file = String(temporal.environment?.DYNAMIC_CONFIG_FILE_PATH);
    const mounted = temporal.configs?.find((c) => c.target === file);
    expect(mounted, `a config mounted at ${file}`).toBeDefined();
    const content = compose.configs?.[mounted!.source]?.content ?? '';
    expect(parse(content)).toEqual(parse(dynamicConfigYaml(OTPFLOW_DYNAMIC_CONFIG)));
    expect(Object.keys(OTPFLOW_DYNAMIC_CONFIG)).toContain('system.enableActivityEagerExecution');
  });

  it('registers the namespace with the same retention and every search attribute with its type', () => {
    const job = script('temporal-namespace');
    expect(job).toContain(`--retention ${NAMESPACE_RETENTION_HOURS}h`);
    const create = job.slice(job.indexOf('search-attribute create')).replace(/\\\n/g, ' ');
    // The CLI pairs each --name with a --type: one --type for several names registers only the first.
    const pairs = [...create.matchAll(/--name (\w+)\s+--type (\w+)/g)].map((m) => [m[1], m[2]]);
    const cliType: Record<string, string> = { KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList' };
    expect(pairs).toEqual(SEARCH_ATTRIBUTES.map((k) => [k.name, cliType[k.type] ?? k.type]));
    expect(create.match(/--name /g)).toHaveLength(SEARCH_ATTRIBUTES.length);
    for (const k of SEARCH_ATTRIBUTES) expect(job).toMatch(new RegExp(`for name [^;]*\\b${k.name}\\b`));
  });
});
