/** The machine a benchmark ran on, /proc readings of a process, and percentiles. */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** What the report says about the machine. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  temporalSdk: string;
}

/** Describes this machine. */
export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  let sdk = 'unknown';
  try {
    sdk = (
      JSON.parse(readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    // The version only labels the report.
  }
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    temporalSdk: sdk,
  };
}

/** One reading of a process: resident memory now and at its peak, and CPU time so far. */
export interface ProcSample {
  at: number;
  rssMiB: number;
  hwmMiB: number;
  cpuSeconds: number;
}

// USER_HZ is 100 on every Linux this runs on (getconf CLK_TCK); /proc/<pid>/stat counts in it.
const TICKS_PER_SECOND = 100;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): index 0 is field 3. */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Reads /proc/<pid>/status and /proc/<pid>/stat; undefined when the process is gone or not Linux. */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    // utime and stime are fields 14 and 15.
    const rest = statFields(pid);
    const ticks = Number(rest[11]) + Number(rest[12]);
    return {
      at: Date.now(),
      rssMiB: kb('VmRSS') / 1024,
      hwmMiB: kb('VmHWM') / 1024,
      cpuSeconds: ticks / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU time of `pid` and all its descendants, seconds: each living process's own time plus what
 * its children that already ended spent (the kernel adds that to the parent). PostgreSQL
 * serves each connection from a process of its own, so its cost is the whole tree's.
 * Undefined when `pid` is gone or there is no /proc.
 */
export function treeCpuSeconds(pid: number): number | undefined {
  try {
    const parents = new Map<number, number[]>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const ppid = Number(statFields(entry)[1]);
        parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
      } catch {
        // The process ended while we looked.
      }
    }
    let ticks = 0;
    const own = statFields(pid);
    ticks += Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    const queue = [...(parents.get(pid) ?? [])];
    while (queue.length > 0) {
      const child = queue.pop() as number;
      try {
        const f = statFields(child);
        ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      } catch {
        continue;
      }
      queue.push(...(parents.get(child) ?? []));
    }
    return ticks / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The first child of this process whose command line contains `text`; undefined if none. */
export function findChildProcess(text: string): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const ppid = Number(statFields(entry)[1]); // field 4
        if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text))
          return Number(entry);
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    // Not Linux: no /proc.
  }
  return undefined;
}

/** CPU time this process has used so far (all threads), seconds. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** CPU use between two samples, in percent of one core. */
export function cpuPercent(a: ProcSample, b: ProcSample): number {
  const wall = (b.at - a.at) / 1000;
  return wall > 0 ? ((b.cpuSeconds - a.cpuSeconds) / wall) * 100 : 0;
}

/** Percentile (nearest rank) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Mean, p50/p95/p99 and the largest value. */
export interface Distribution {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Summarises samples. */
export function distribution(values: readonly number[]): Distribution {
  return {
    n: values.length,
    mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : NaN,
  };
}
