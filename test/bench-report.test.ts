/** The bench's summary arithmetic: how rounds become the rates the throughput target is judged on. */
import { describe, expect, it } from 'vitest';
import type { FlowSamples } from '../bench/driver';
import { median, summarise } from '../bench/report';

/** A round of `flows` flows in `wallMs`, each taking `totalMs` from start to result. */
function round(flows: number, wallMs: number, totalMs: number, failures = 0): FlowSamples {
  return {
    target: 'otpflow',
    flows,
    concurrency: 20,
    wallMs,
    startToPin: Array.from({ length: flows }, () => 100),
    check: Array.from({ length: flows }, () => 200),
    total: Array.from({ length: flows }, () => totalMs),
    notReadyRetries: 0,
    failures: Array.from({ length: failures }, () => 'failed'),
  };
}

describe('bench summary', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('a stalled round moves the pooled rate but not the median round', () => {
    // Three rounds at 40 flows/s and one stalled to 20 flows/s.
    const rounds = [
      round(100, 2500, 500),
      round(100, 2500, 500),
      round(100, 5000, 1000),
      round(100, 2500, 500),
    ];
    const f = summarise('defaults', rounds);
    expect(f.perSecond).toBeCloseTo((400 / 12_500) * 1000, 6);
    expect(f.medianRoundPerSecond).toBe(40);
    expect(f.steadyPerSecond).toBeCloseTo(20_000 / 625, 6);
  });

  it('counts only flows that succeeded in a round', () => {
    const f = summarise('defaults', [round(100, 2500, 500, 10), round(100, 2500, 500, 30)]);
    expect(f.medianRoundPerSecond).toBe(32);
    expect(f.failures).toBe(40);
  });
});
