#!/usr/bin/env node
// schemathesis (PyPI, 4.x) for the OpenAPI contract test (test/api-contract.test.ts), in a
// virtual environment under .tools/schemathesis. `--ensure` creates it when missing (needs
// python3 with venv and pip, and PyPI); otherwise it only answers where the binary is.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The version range the contract test is written for. */
export const SCHEMATHESIS_SPEC = 'schemathesis>=4.32,<5';
export const SCHEMATHESIS_VENV = path.join(ROOT, '.tools', 'schemathesis');
export const SCHEMATHESIS_BIN = path.join(SCHEMATHESIS_VENV, 'bin', 'st');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}`);
}

/** Creates the virtual environment and installs schemathesis unless it is there. */
export function ensureSchemathesis() {
  if (existsSync(SCHEMATHESIS_BIN)) return SCHEMATHESIS_BIN;
  console.error(`schemathesis: installing ${SCHEMATHESIS_SPEC} into ${SCHEMATHESIS_VENV} (once)…`);
  run('python3', ['-m', 'venv', SCHEMATHESIS_VENV]);
  run(path.join(SCHEMATHESIS_VENV, 'bin', 'pip'), [
    'install',
    '--quiet',
    '--disable-pip-version-check',
    SCHEMATHESIS_SPEC,
  ]);
  return SCHEMATHESIS_BIN;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--ensure')) {
    try {
      console.error(`schemathesis: ${ensureSchemathesis()}`);
    } catch (err) {
      console.error(`schemathesis: ${err.message}`);
      process.exitCode = 1;
    }
  } else {
    console.log(SCHEMATHESIS_BIN);
  }
}
