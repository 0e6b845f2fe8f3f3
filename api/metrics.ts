/**
 * The API process's own counters, served as Prometheus text at `GET /metrics` (the worker's
 * metrics come from the Temporal Runtime on its own endpoint). Labels never carry a number,
 * an address or an ID.
 */

/** A counter with labels. */
export interface Counter {
  inc(labels: Record<string, string>, by?: number): void;
  /** The current value for `labels` (0 when never counted). */
  get(labels: Record<string, string>): number;
}

interface Family {
  name: string;
  help: string;
  values: Map<string, number>;
}

const key = (labels: Record<string, string>) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, '_')}"`)
    .join(',');

/** Counters of one API server. */
export class ApiMetrics {
  private readonly families: Family[] = [];

  /** Registers (or returns) the counter `name`. */
  counter(name: string, help: string): Counter {
    let family = this.families.find((f) => f.name === name);
    if (!family) {
      family = { name, help, values: new Map() };
      this.families.push(family);
    }
    const values = family.values;
    return {
      inc: (labels, by = 1) => values.set(key(labels), (values.get(key(labels)) ?? 0) + by),
      get: (labels) => values.get(key(labels)) ?? 0,
    };
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    for (const f of this.families) {
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} counter`);
      for (const [labels, value] of f.values) lines.push(`${f.name}${labels ? `{${labels}}` : ''} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
