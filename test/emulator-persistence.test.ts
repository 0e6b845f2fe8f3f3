import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmulator, testNumber, EmulatorConfigError } from '../emulator';
import { runEmulatorCli, EmulatorCliError } from '../emulator/cli';
import { createAppWithTemplate, emulatorClient } from './kits/emulator';

const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-emulator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('data file', () => {
  it('keeps applications, templates, live PINs, limits and the inbox across a restart', async () => {
    const dataFile = path.join(dir, 'state.json');
    const first = await createEmulator({ dataFile, managementLimits: false });
    const api1 = emulatorClient(first.url);
    const { applicationId, messageId } = await createAppWithTemplate(api1, {
      sendPinPerPhoneNumberLimit: '1/1d',
      verifyPinLimit: '100/1s',
    });
    const to = testNumber();
    const sent = await api1.post('/2fa/2/pin', { applicationId, messageId, to });
    const pin = first.inbox.latest(to)?.pin ?? '';
    const wrong = pin === '000000' ? '111111' : '000000';
    expect(
      (await api1.post(`/2fa/2/pin/${sent.body.pinId}/verify`, { pin: wrong })).body.attemptsRemaining,
    ).toBe(9);
    await first.close();
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);

    const second = await createEmulator({ dataFile, managementLimits: false });
    try {
      const api2 = emulatorClient(second.url);
      expect((await api2.get(`/2fa/2/applications/${applicationId}`)).status).toBe(200);
      expect((await api2.get(`/2fa/2/applications/${applicationId}/messages/${messageId}`)).status).toBe(200);
      expect(second.inbox.latest(to)?.pin).toBe(pin);
      expect((await api2.post('/2fa/2/pin', { applicationId, messageId, to })).status).toBe(429);
      expect(
        (await api2.post(`/2fa/2/pin/${sent.body.pinId}/verify`, { pin: wrong })).body.attemptsRemaining,
      ).toBe(8);
      const verify = await api2.post(`/2fa/2/pin/${sent.body.pinId}/verify`, { pin });
      expect(verify.body).toMatchObject({ verified: true });
    } finally {
      await second.close();
    }
  });

  it('writes changes soon after they happen, as valid JSON', async () => {
    const dataFile = path.join(dir, 'soon.json');
    const emu = await createEmulator({ dataFile, managementLimits: false });
    try {
      await emulatorClient(emu.url).post('/2fa/2/applications', { name: 'soon' });
      await expect
        .poll(() => {
          try {
            return (
              JSON.parse(readFileSync(dataFile, 'utf8')) as { applications: Array<{ name: string }> }
            ).applications.map((a) => a.name);
          } catch {
            return [];
          }
        })
        .toEqual(['soon']);
    } finally {
      await emu.close();
    }
  });

  it('refuses to start on an unreadable data file', async () => {
    const dataFile = path.join(dir, 'broken.json');
    writeFileSync(dataFile, '{"version": 1, ');
    await expect(createEmulator({ dataFile })).rejects.toThrow(EmulatorConfigError);
    await expect(createEmulator({ dataFile })).rejects.toThrow(/broken\.json/);
  });
});

describe('otpflow emulator CLI', () => {
  it('prints usage for --help and rejects unknown options and bad ports', async () => {
    const lines: string[] = [];
    await runEmulatorCli(['--help'], (l) => lines.push(l));
    expect(lines.join('\n')).toContain('--api-key K');
    await expect(runEmulatorCli(['--bogus'])).rejects.toThrow(EmulatorCliError);
    await expect(runEmulatorCli(['--port', 'abc'])).rejects.toThrow(/--port/);
    await expect(runEmulatorCli(['--rate-limit-envelope', 'x'])).rejects.toThrow(/legacy or E429/);
  });

  it('listens, prints the URL and keys, serves requests and exits cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "require('./emulator/cli').runEmulatorCli(process.argv.slice(1))",
        '--',
        '--port',
        '0',
        '--api-key',
        'k1',
        '--api-key',
        'k2',
      ],
      { cwd: path.resolve(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => out, { timeout: 20_000 }).toMatch(/State:/);
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
    expect(out).toContain('API keys: k1, k2');
    expect((await emulatorClient(url, { apiKey: 'k2' }).get('/2fa/2/applications')).status).toBe(200);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(out).toContain('shutting down');
  });
});
