/**
 * First-day paper cuts, without a Temporal server: the dev stack's banner gives ready-to-paste
 * exports, the `--db` secrets file uses the variables' names, every command's help describes
 * its options and the top-level help lists them all, a start that ended at once is not printed
 * as started.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { USAGE } from '../cli/main';
import { formatStart } from '../cli/output';
import { API_USAGE } from '../api/main';
import { CLUSTER_USAGE } from '../dev/cluster/cli';
import { DEV_USAGE, formatBlock } from '../dev/stack';
import { loadOrCreateSecrets } from '../dev/secrets';
import { EMULATOR_USAGE } from '../emulator/cli';
import { SETUP_USAGE } from '../setup/main';
import { WORKER_USAGE } from '../worker/main';
import { main } from '../cli/main';

const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-first-day-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const URLS = {
  temporalAddress: '127.0.0.1:7233',
  webUi: 'http://127.0.0.1:8233',
  api: 'http://127.0.0.1:8080',
  apiKey: 'k',
  emulator: 'http://127.0.0.1:8090',
  inbox: 'http://127.0.0.1:8090/emulator',
};

describe('npm start banner', () => {
  it('names every URL and gives a copy-paste example', () => {
    const block = formatBlock(
      { ...URLS, codec: 'http://127.0.0.1:8888' },
      { setup: 's', state: 'in memory', encryption: 'e' },
    );
    for (const s of [
      'Temporal Web UI',
      'http://127.0.0.1:8233',
      'otpflow API',
      'API key',
      'Emulator inbox',
      'Codec endpoint',
      "curl -s -X POST http://127.0.0.1:8080/v1/verifications -H 'Authorization: Bearer k'",
    ]) {
      expect(block).toContain(s);
    }
  });

  it('prints export lines a shell takes as they are, values with quotes and slashes included', () => {
    const vars = {
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      OTPFLOW_DESTINATION_HASH_KEY: 'ab'.repeat(32),
      OTPFLOW_ENCRYPTION_KEYS: "dev:a+b/c=d'e",
      OTPFLOW_API_KEYS: 'otp_dev_0123',
      INFOBIP_API_KEY: 'emulator-key',
      EMPTY: '',
    };
    const block = formatBlock({ ...URLS, exports: vars }, { setup: 's', state: 'm', encryption: 'e' });
    const lines = block.split('\n').filter((l) => l.trimStart().startsWith('export '));
    expect(lines.map((l) => l.trim().split('=')[0])).toEqual([
      'export TEMPORAL_ADDRESS',
      'export OTPFLOW_DESTINATION_HASH_KEY',
      'export OTPFLOW_ENCRYPTION_KEYS',
      'export OTPFLOW_API_KEYS',
      'export INFOBIP_API_KEY',
    ]);
    const shell = spawnSync('bash', ['-c', `${lines.join('\n')}\nenv`], { encoding: 'utf8', env: {} });
    for (const [name, value] of Object.entries(vars).filter(([, v]) => v)) {
      expect(shell.stdout).toContain(`${name}=${value}\n`);
    }
  });
});

describe('otpflow dev --db secrets file', () => {
  it('is named beside the database as documented and keys each secret by its variable', () => {
    expect(DEV_USAGE).toContain('dev.db → dev.emulator.json, dev.secrets.json');
    const file = path.join(dir, 'dev.secrets.json');
    const made = loadOrCreateSecrets(file);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(saved).toEqual({
      OTPFLOW_API_KEYS: made.apiKey,
      OTPFLOW_DESTINATION_HASH_KEY: made.destinationHashKey,
      OTPFLOW_ENCRYPTION_KEYS: made.encryptionKey,
    });
    expect(loadOrCreateSecrets(file)).toEqual(made);
  });

  it('still reads a file written with the old field names', () => {
    const file = path.join(dir, 'old.secrets.json');
    writeFileSync(file, JSON.stringify({ apiKey: 'otp_dev_old', destinationHashKey: 'cd'.repeat(32) }));
    const loaded = loadOrCreateSecrets(file);
    expect(loaded).toMatchObject({ apiKey: 'otp_dev_old', destinationHashKey: 'cd'.repeat(32) });
    expect(loaded.encryptionKey).toMatch(/^dev:/);
  });
});

describe('help', () => {
  const flags = (text: string) => new Set([...text.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0]));

  it('top-level help lists every option of every command', async () => {
    const captured: string[] = [];
    const io = { out: (t: string) => captured.push(t), err: (t: string) => captured.push(t) };
    const perCommand: string[] = [
      DEV_USAGE,
      CLUSTER_USAGE,
      API_USAGE,
      WORKER_USAGE,
      SETUP_USAGE,
      EMULATOR_USAGE,
    ];
    for (const command of ['start', 'verify', 'resend', 'cancel', 'status', 'list']) {
      captured.length = 0;
      expect(await main([command, '--help'], io)).toBe(0);
      perCommand.push(captured.join('\n'));
    }
    const top = flags(USAGE);
    const missing = perCommand.flatMap((help) => [...flags(help)].filter((f) => !top.has(f)));
    expect(missing).toEqual([]);
  });

  it('every verification command describes each of its options, --email included', async () => {
    const out: string[] = [];
    await main(['start', '--help'], { out: (t) => out.push(t), err: (t) => out.push(t) });
    const text = out.join('\n');
    for (const flag of ['--app', '--channel', '--lang', '--email', '--id', '--ttl']) {
      expect(text).toMatch(new RegExp(`^  ${flag} \\S+ +\\S.{10,}`, 'm'));
    }
  });
});

describe('otpflow start output', () => {
  const base = { id: 'otp-login-1', channel: 'SMS' as const, destination: '+41•••••6727', language: 'en' };

  it('does not call a start that ended at once "started"', () => {
    for (const status of ['UNDELIVERABLE', 'RATE_LIMITED', 'FAILED'] as const) {
      const text = formatStart({ ...base, status, created: true });
      expect(text).not.toContain('Verification started');
      expect(text).toContain(`ended ${status}`);
      expect(text).not.toContain('otpflow verify');
    }
    expect(formatStart({ ...base, status: 'PENDING', created: true })).toContain('Verification started');
  });

  it('says when the language fell back', () => {
    const text = formatStart({ ...base, status: 'PENDING', created: true, requestedLanguage: 'fr' });
    expect(text).toMatch(/language\s+en \(no template in "fr"\)/);
  });
});
