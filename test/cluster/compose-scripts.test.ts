/**
 * docker-compose.yml cannot run here (no Docker), but its two Temporal jobs are shell scripts
 * over the same tools the cluster uses: this runs them, as written, against a PostgreSQL and a
 * Temporal server of this test's own — the schema job (twice: it must be idempotent) with the
 * server's SQL tool, then the namespace job (twice) with the Temporal CLI — and checks the
 * result: the server starts on that schema, and the namespace has its retention and all four
 * search attributes with their types.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { configFilePath, serverConfig, serverPorts, toYaml } from '../../dev/cluster/config-files';
import { startPostgres, initPostgres } from '../../dev/cluster/postgres';
import { NAMESPACE_RETENTION_HOURS, startTemporalServer } from '../../dev/cluster/temporal';
import type { SupervisedChild } from '../../dev/processes';
import { dynamicConfigYaml } from '../../dev/server-flags';
import { resolveTemporalCli, systemProbe } from '../../scripts/temporal-cli';
import { SEARCH_ATTRIBUTES } from '../../domain/constants';
import { freeClusterPorts } from './support';

const compose = parse(readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { command: string[]; environment: Record<string, string | number> }>;
};
/** A job's script as the container's shell gets it (Compose turns `$$` into `$`). */
const script = (name: string) => compose.services[name]!.command[0]!.replace(/\$\$/g, '$');

const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-compose-'));
// PostgreSQL runs as the postgres user when we are root: it must be able to enter the folder.
chmodSync(dir, 0o755);
const started: SupervisedChild[] = [];
afterAll(async () => {
  for (const c of started.reverse()) await c.stop(20_000);
  rmSync(dir, { recursive: true, force: true });
});

it("runs docker-compose.yml's schema and namespace jobs against a real PostgreSQL and server", async () => {
  const b = inject('clusterBinaries');
  const ports = await freeClusterPorts(0, 0);
  const pg = {
    binDir: b.postgresBin,
    dataDir: path.join(dir, 'postgres'),
    port: ports.postgresPort,
    user: 'temporal',
    password: 'compose-test-password',
    logFile: path.join(dir, 'postgres.log'),
  };
  initPostgres(pg);
  started.push(await startPostgres(pg));

  // The jobs' images have the tools on PATH and the schema at /etc/temporal/schema.
  const toolDir = path.join(dir, 'bin');
  mkdirSync(toolDir);
  const cli = resolveTemporalCli(systemProbe, { build: true });
  const link = (name: string, target: string) =>
    writeFileSync(path.join(toolDir, name), `#!/bin/sh\nexec "${target}" "$@"\n`, { mode: 0o755 });
  link('temporal-sql-tool', b.sqlTool);
  link('temporal', cli.path!);
  const env = { ...process.env, PATH: `${toolDir}:${process.env.PATH}` };
  const schemaJob = compose.services['temporal-schema']!;
  const schemaEnv = {
    ...env,
    ...Object.fromEntries(Object.entries(schemaJob.environment).map(([k, v]) => [k, String(v)])),
    SQL_HOST: '127.0.0.1',
    SQL_PORT: String(pg.port),
    SQL_PASSWORD: pg.password,
  };
  const schemaScript = script('temporal-schema').replaceAll('/etc/temporal/schema', b.schemaDir);
  for (let run = 0; run < 2; run++)
    execFileSync('sh', ['-ec', schemaScript], { env: schemaEnv, stdio: 'ignore' });

  const root = path.join(dir, 'temporal');
  mkdirSync(path.join(root, 'config'), { recursive: true });
  writeFileSync(path.join(root, 'dynamic.yaml'), dynamicConfigYaml());
  const clusterName = 'compose-jobs';
  writeFileSync(
    configFilePath(root, 'otpflow'),
    toYaml(
      serverConfig({
        clusterName,
        ports: serverPorts(ports.port),
        postgres: pg,
        dynamicConfigFile: path.join(root, 'dynamic.yaml'),
      }),
    ),
  );
  const address = `127.0.0.1:${ports.port}`;
  started.push(
    await startTemporalServer({
      binary: b.server,
      root,
      address,
      clusterName,
      logFile: path.join(dir, 'temporal.log'),
    }),
  );

  const nsEnv = { ...env, TEMPORAL_ADDRESS: address };
  for (let run = 0; run < 2; run++)
    execFileSync('sh', ['-ec', script('temporal-namespace')], {
      env: nsEnv,
      stdio: 'ignore',
      timeout: 120_000,
    });

  const conn = await Connection.connect({ address });
  try {
    const ns = await conn.workflowService.describeNamespace({ namespace: 'default' });
    expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(NAMESPACE_RETENTION_HOURS * 3600);
    const sa = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
    // The proto's INDEXED_VALUE_TYPE_KEYWORD (2) and INDEXED_VALUE_TYPE_KEYWORD_LIST (7).
    const indexed: Record<string, number> = { KEYWORD: 2, KEYWORD_LIST: 7 };
    for (const k of SEARCH_ATTRIBUTES) expect(sa.customAttributes?.[k.name], k.name).toBe(indexed[k.type]);
  } finally {
    await conn.close();
  }
});
