/**
 * The bad-input catalogue's runner: each row names a surface, an input and the precise answer
 * expected (an HTTP status with a problem type or Infobip messageId, an error code with its
 * field, a CLI exit code). Rows run one by one; the answers that differ are listed together.
 */
import { expect } from 'vitest';

/** What a row's input produced, reduced to what the catalogue compares. */
export type Outcome = Record<string, string | number | undefined>;

export interface Row {
  surface: 'http-api' | 'cli' | 'client-library' | 'config-file' | 'emulator';
  input: string;
  expected: Outcome;
  run: () => Promise<Outcome>;
}

/** Runs every row; fails listing each row whose outcome differs (or that threw). Returns the count. */
export async function runCatalogue(rows: Row[]): Promise<number> {
  const names = rows.map((r) => `${r.surface}: ${r.input}`);
  expect(new Set(names).size).toBe(names.length);
  const mismatches: string[] = [];
  for (const row of rows) {
    let actual: Outcome;
    try {
      actual = await row.run();
    } catch (err) {
      actual = { threw: `${(err as Error).name}: ${(err as Error).message}`.slice(0, 300) };
    }
    const differs = Object.entries(row.expected).some(([k, v]) => actual[k] !== v);
    if (differs)
      mismatches.push(
        `${row.surface}: ${row.input}\n    expected ${JSON.stringify(row.expected)}\n    got      ${JSON.stringify(actual)}`,
      );
  }
  expect(mismatches, mismatches.join('\n')).toEqual([]);
  return rows.length;
}

/** The outcome of a thrown error that carries `code` (and maybe `field`). */
export async function codeOf(fn: () => unknown): Promise<Outcome> {
  try {
    await fn();
    return { code: 'NO ERROR' };
  } catch (err) {
    const e = err as { code?: string; field?: string; problems?: { path: string }[] };
    return {
      code: e.code ?? (err as Error).name,
      field: e.field ?? e.problems?.[0]?.path,
      detail: (err as Error).message.slice(0, 160),
    };
  }
}
