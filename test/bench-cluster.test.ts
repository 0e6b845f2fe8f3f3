/**
 * The bench on the cluster (`npm run bench -- --server cluster`): throughput is judged against
 * the ceiling (issue 8's decision: otpflow ≥ 0.95 × ceiling by flows/s and by CPU per flow),
 * and the server's CPU is its whole process tree (PostgreSQL serves each connection from a
 * process of its own).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sampleProcess, treeCpuSeconds } from '../bench/machine';
import { checkTargets, type BenchReport } from '../bench/report';

const report = (throughputOfCeiling: number, cpuThroughputOfCeiling: number) =>
  ({
    ratios: {
      throughput: 1,
      steadyThroughput: 1,
      cpuThroughput: 1,
      checkP50: 1,
      throughputOfCeiling,
      cpuThroughputOfCeiling,
    },
    history: { happyPath: { events: 24 } },
  }) as unknown as Omit<BenchReport, 'targets'>;

describe('bench targets against the ceiling', () => {
  it('passes at 0.95 × the ceiling and fails below, by flows/s and by CPU per flow', () => {
    const find = (r: Omit<BenchReport, 'targets'>, name: string) =>
      checkTargets(r).find((t) => t.name === name);
    expect(find(report(0.95, 0.97), 'throughput otpflow/ceiling (flows/s)')).toMatchObject({
      target: '≥ 0.95',
      measured: '0.95',
      pass: true,
    });
    expect(find(report(0.94, 0.97), 'throughput otpflow/ceiling (flows/s)')).toMatchObject({ pass: false });
    expect(find(report(0.99, 0.93), 'throughput otpflow/ceiling by CPU per flow')).toMatchObject({
      measured: '0.93',
      pass: false,
    });
    expect(find(report(0.99, 1.01), 'throughput otpflow/ceiling by CPU per flow')).toMatchObject({
      pass: true,
    });
  });
});

describe('treeCpuSeconds', () => {
  it('counts the CPU of a process and of the children it runs', async () => {
    // A shell whose child (node) burns CPU for a moment, then waits to be read.
    const burn = 'const t = Date.now(); while (Date.now() - t < 1500); setTimeout(() => {}, 30000)';
    const parent = spawn('sh', ['-c', `"${process.execPath}" -e "${burn}" & wait`], {
      stdio: 'ignore',
      detached: true,
    });
    try {
      const childPid = await new Promise<number>((resolve, reject) => {
        const deadline = Date.now() + 20_000;
        const look = () => {
          const r = spawn('pgrep', ['-P', String(parent.pid)], { stdio: ['ignore', 'pipe', 'ignore'] });
          let out = '';
          r.stdout.on('data', (d: Buffer) => (out += d.toString()));
          r.on('close', () => {
            const pid = Number(out.trim().split('\n')[0]);
            const busy = pid ? (sampleProcess(pid)?.cpuSeconds ?? 0) : 0;
            if (busy >= 0.1) return resolve(pid);
            if (Date.now() > deadline) return reject(new Error('the child burnt no CPU'));
            setTimeout(look, 100);
          });
        };
        look();
      });
      const child = sampleProcess(childPid)!.cpuSeconds;
      const tree = treeCpuSeconds(parent.pid!)!;
      expect(tree).toBeGreaterThanOrEqual(child);
      expect(sampleProcess(parent.pid!)!.cpuSeconds).toBeLessThan(child);
    } finally {
      process.kill(-parent.pid!, 'SIGKILL');
    }
    expect(treeCpuSeconds(2 ** 22 + 12345)).toBeUndefined();
  });
});
