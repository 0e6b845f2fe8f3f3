/** The bench's summary arithmetic: how rounds become the rates the throughput target is judged on. */
import { describe, expect, it } from 'vitest';
import type { FlowSamples } from '../bench/driver';
import { checkTargets, formatPieces, summarise, type BenchReport } from '../bench/report';

/** A round of 100 flows in `wallMs`, each taking `totalMs`, costing `cpuMs` per flow in all. */
function round(wallMs: number, totalMs: number, cpuMs: number): FlowSamples {
  const flows = 100;
  return {
    target: 'otpflow',
    flows,
    concurrency: 20,
    wallMs,
    startToPin: Array.from({ length: flows }, () => 100),
    check: Array.from({ length: flows }, () => 200),
    total: Array.from({ length: flows }, () => totalMs),
    notReadyRetries: 0,
    failures: [],
    workerCpuMs: flows * cpuMs * 0.4,
    serverCpuMs: flows * cpuMs * 0.5,
    clientCpuMs: flows * cpuMs * 0.1,
  };
}

describe('bench summary', () => {
  it('a stalled round lowers the wall-clock rates but not the rate per CPU-second', () => {
    const steady = summarise('defaults', [round(2500, 500, 50), round(2500, 500, 50)]);
    const stalled = summarise('defaults', [round(2500, 500, 50), round(5000, 1000, 50)]);
    expect(steady.perSecond).toBeCloseTo(40, 6);
    expect(stalled.perSecond).toBeCloseTo(200 / 7.5, 6);
    expect(stalled.steadyPerSecond).toBeCloseTo(20_000 / 750, 6);
    expect(steady.perCpuSecond).toBeCloseTo(20, 6);
    expect(stalled.perCpuSecond).toBeCloseTo(20, 6);
  });

  it('judges the throughput target on CPU per flow as well', () => {
    const byCpu = (cpuThroughput: number) =>
      checkTargets({
        ratios: { cpuThroughput, throughput: 1, steadyThroughput: 1, checkP50: 1 },
        history: { happyPath: { events: 24 } },
      } as unknown as Omit<BenchReport, 'targets'>).find(
        (t) => t.name === 'throughput ratio by CPU per flow',
      );
    const otpflow = summarise('defaults', [round(2500, 500, 55)]);
    const baseline = summarise('defaults', [round(2500, 500, 50)]);
    expect(byCpu(otpflow.perCpuSecond / baseline.perCpuSecond)).toMatchObject({
      measured: '0.91',
      pass: true,
    });
    expect(byCpu(50 / 56)).toMatchObject({ measured: '0.89', pass: false });
  });

  it('prints each piece of the ceiling against the ceiling and the baseline', () => {
    const piece = (change: string, cpuMs: number) => ({
      ...summarise(change, [round(2500, 500, cpuMs)]),
      target: 'ceiling LRR',
    });
    const text = formatPieces([
      piece('none: the ceiling (control)', 52),
      piece('without the PENDING upsert', 49),
      { ...piece('without any of it: the baseline', 40), target: 'baseline LRR' },
    ]);
    const rows = text.split('\n').filter((l) => l.startsWith('| ceiling') || l.startsWith('| baseline'));
    const cells = rows.map((l) => l.split('|').map((c) => c.trim()));
    // CPU per flow against the ceiling, then flows per CPU-second against the baseline's.
    expect(cells.map((c) => [c[2], c[6], c[7]])).toEqual([
      ['none: the ceiling (control)', '+0.0 ms', '0.77'],
      ['without the PENDING upsert', '-3.0 ms', '0.82'],
      ['without any of it: the baseline', '-12.0 ms', '1.00'],
    ]);
  });
});
