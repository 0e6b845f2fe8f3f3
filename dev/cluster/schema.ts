/**
 * The Temporal server's databases and how their schema is set up: for each of `temporal` and
 * `temporal_visibility`, `temporal-sql-tool` runs `create-database`, `setup-schema -v 0.0` and
 * `update-schema -d <schema>/postgresql/v12/<store>/versioned`. Every step is idempotent, so
 * the launcher runs them on every start (a kept database gets the schema updates of a newer
 * server). docker-compose.yml's schema job runs the same steps (test/compose-cluster.test.ts).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

/** The SQL plugin of the server and the tool (PostgreSQL 12 or later). */
export const SQL_PLUGIN = 'postgres12';

/** The server's two databases and the schema folder of each. */
export const DATABASES = [
  { name: 'temporal', schema: 'temporal' },
  { name: 'temporal_visibility', schema: 'visibility' },
] as const;

/** One `temporal-sql-tool` run: the database and the command after the connection flags. */
export interface SchemaStep {
  database: string;
  command: string[];
}

/** The steps, in order, with versioned schema folders under `schemaRoot` (a `schema/` folder). */
export function schemaSteps(schemaRoot: string, join: (...p: string[]) => string = path.join): SchemaStep[] {
  return DATABASES.flatMap((db) => [
    { database: db.name, command: ['create-database'] },
    { database: db.name, command: ['setup-schema', '-v', '0.0'] },
    {
      database: db.name,
      command: ['update-schema', '-d', join(schemaRoot, 'postgresql', 'v12', db.schema, 'versioned')],
    },
  ]);
}

/** Thrown when a schema step fails; the message quotes the tool's output. */
export class SchemaSetupError extends Error {
  override readonly name = 'SchemaSetupError';
  readonly code = 'SCHEMA_SETUP';
}

export interface SqlConnection {
  port: number;
  user: string;
  password: string;
}

/** Runs every step against PostgreSQL on 127.0.0.1 (the password goes through the environment, not argv). */
export async function setUpSchema(sqlTool: string, conn: SqlConnection, schemaRoot: string): Promise<void> {
  for (const step of schemaSteps(schemaRoot)) {
    const args = [
      '--plugin',
      SQL_PLUGIN,
      '--ep',
      '127.0.0.1',
      '--port',
      String(conn.port),
      '--user',
      conn.user,
      '--db',
      step.database,
      ...step.command,
    ];
    await new Promise<void>((resolve, reject) => {
      execFile(
        sqlTool,
        args,
        { env: { ...process.env, SQL_PASSWORD: conn.password }, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (!err) return resolve();
          const output = `${stdout}${stderr}`.trim().split('\n').slice(-15).join('\n');
          reject(
            new SchemaSetupError(
              `temporal-sql-tool ${step.command[0]} on ${step.database} failed:\n${output}`,
            ),
          );
        },
      );
    });
  }
}
