/**
 * docker-compose.yml and the Dockerfile cannot run here; check them statically against the
 * code: pinned images, ports that match the services' configuration, environment variables
 * that otpflow or Temporal's envconfig really read (and .env.example documents), commands
 * that the otpflow CLI really has, and an environment that `loadConfig` accepts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../config';
import { isKnownVariable, OTPFLOW_VARIABLES, TEMPORAL_VARIABLES } from '../config/variables';

const ROOT = path.join(__dirname, '..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  configs?: Record<string, { content?: string }>;
};
const services = compose.services;
const OTPFLOW_SERVICES = Object.entries(services).filter(([, s]) => s.image?.startsWith('otpflow:'));

/** `${VAR:-default}` → default, `${VAR:?msg}` → a valid sample, `${VAR}` → sample. */
function interpolate(value: string | number, samples: Record<string, string>): string {
  return String(value).replace(
    /\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, rest?: string) => {
      if (op === '-') return rest ?? '';
      const sample = samples[name];
      if (sample === undefined) throw new Error(`no sample value for required ${name}`);
      return sample;
    },
  );
}

const SAMPLES: Record<string, string> = {
  OTPFLOW_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  OTPFLOW_API_KEYS: 'compose-api-key-0123456789',
  OTPFLOW_DESTINATION_HASH_KEY: 'ab'.repeat(32),
};

describe('docker-compose.yml', () => {
  it('has the production-shaped services, the emulator only under its profile', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        'postgresql',
        'temporal-schema',
        'temporal',
        'temporal-namespace',
        'temporal-ui',
        'worker',
        'api',
        'setup',
        'emulator',
      ]),
    );
    expect(services.temporal!.image).toMatch(/^temporalio\/server:/);
    expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:/);
    expect(services.emulator!.profiles).toEqual(['emulator']);
    for (const [name, s] of Object.entries(services)) {
      if (name !== 'emulator') expect(s.profiles, name).toBeUndefined();
    }
    expect(services.setup!.depends_on?.emulator?.required).toBe(false);
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toMatch(/^[a-z0-9./-]+:\d+(\.\d+)+[\w.-]*$/);
    }
    for (const line of read('Dockerfile')
      .split('\n')
      .filter((l) => l.startsWith('FROM '))) {
      expect(line).toMatch(/^FROM [a-z0-9./-]+:\d+\.\d+\.\d+[\w.-]*( AS \w+)?$/);
    }
  });

  it('publishes ports on loopback, matching what each service listens on', () => {
    const published = (s: Service) =>
      Object.fromEntries(
        (s.ports ?? []).map((p) => {
          const m = /^127\.0\.0\.1:(\d+):(\d+)$/.exec(p);
          expect(m, `port ${p} must be 127.0.0.1:HOST:CONTAINER`).not.toBeNull();
          return [Number(m![2]), Number(m![1])];
        }),
      ) as Record<number, number>;
    const api = services.api!;
    expect(published(api)[Number(api.environment!.OTPFLOW_API_PORT)]).toBe(8080);
    const worker = services.worker!;
    const codecHostPort = published(worker)[Number(worker.environment!.OTPFLOW_CODEC_PORT)];
    expect(codecHostPort).toBe(8888);
    const metricsPort = Number(String(worker.environment!.OTPFLOW_METRICS_ADDRESS).split(':')[1]);
    expect(published(worker)[metricsPort]).toBe(9464);
    expect(worker.environment!.OTPFLOW_CODEC_HOST).toBe('0.0.0.0');
    expect(api.environment!.OTPFLOW_API_HOST).toBe('0.0.0.0');

    // The Web UI's browser origin may call the codec endpoint the UI is configured with.
    const ui = services['temporal-ui']!;
    const uiHostPort = published(ui)[Number(ui.environment!.TEMPORAL_UI_PORT)];
    expect(ui.environment!.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:${codecHostPort}`);
    expect(String(worker.environment!.OTPFLOW_CODEC_CORS_ORIGINS).split(',')).toContain(
      `http://localhost:${uiHostPort}`,
    );
    expect(published(services.temporal!)[7233]).toBe(7233);

    const emu = services.emulator!;
    const cmd = emu.command as string[];
    const emuPort = Number(cmd[cmd.indexOf('--port') + 1]);
    expect(published(emu)[emuPort]).toBe(8090);
    expect(String(services.worker!.environment!.INFOBIP_BASE_URL)).toContain(`http://emulator:${emuPort}`);
  });

  it('gives otpflow services only variables otpflow or envconfig read, and a configuration loadConfig accepts', () => {
    for (const [name, s] of OTPFLOW_SERVICES) {
      const env = Object.fromEntries(
        Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(v, SAMPLES)]),
      );
      for (const key of Object.keys(env)) expect(isKnownVariable(key), `${name}: ${key}`).toBe(true);
      if (name === 'emulator') continue;
      const require =
        name === 'api' ? (['destinationHashKey', 'apiKeys'] as const) : (['infobipApiKey'] as const);
      expect(
        () => loadConfig({ ...env, HOME: '/nonexistent' }, { require: [...require] }),
        name,
      ).not.toThrow();
    }
  });

  it('runs commands the otpflow CLI has, from the image the Dockerfile builds', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toContain('ENTRYPOINT ["node", "bin/otpflow.js"]');
    expect(dockerfile).toContain('worker/build-bundle.ts');
    expect(existsSync(path.join(ROOT, 'worker', 'build-bundle.ts'))).toBe(true);
    expect(services.worker!.build).toBe('.');
    const commands = new Set(OTPFLOW_SERVICES.map(([, s]) => (s.command as string[])[0]!));
    expect([...commands].sort()).toEqual(['api', 'emulator', 'setup', 'worker']);
    for (const cmd of commands) {
      const r = spawnSync(process.execPath, ['bin/otpflow.js', cmd, '--help'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, `otpflow ${cmd} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`otpflow ${cmd}`));
    }
  });
  // The Temporal server's version, schema steps, dynamic config, namespace and search attributes:
  // test/compose-cluster.test.ts (they must agree with `otpflow cluster`).
});

describe('.env.example', () => {
  const example = read('.env.example');
  const loadSource = read('config/load.ts');

  it('documents every variable otpflow and envconfig read, and each otpflow variable is really read', () => {
    for (const v of OTPFLOW_VARIABLES) {
      expect(example, v.name).toMatch(new RegExp(`^${v.name}=`, 'm'));
      expect(loadSource, `${v.name} read by loadConfig`).toMatch(
        new RegExp(`'${v.name}'|env\\.${v.name}\\b`),
      );
    }
    for (const name of TEMPORAL_VARIABLES) expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
  });

  it('names only known variables', () => {
    const names = [...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    for (const n of names) expect(isKnownVariable(n), n).toBe(true);
  });
});
