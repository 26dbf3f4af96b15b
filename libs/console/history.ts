// The last few minutes of a snapshot's headline figures, for the page's sparklines: one point
// per collection, oldest dropped first. Pure.
import type { PipelineSnapshot } from './snapshot.ts';

export interface HistoryJson {
  /** ms since the Unix epoch, one per point. */
  at: number[];
  /** Series name → one value per point (null: unknown then). */
  series: Record<string, (number | null)[]>;
}

/** The figures worth a line over time: throughput, backlog and lag per stage; alerts; DLQ. */
export function seriesOf(s: PipelineSnapshot): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const st of s.stages) {
    out[`in:${st.name}`] = st.inRate;
    out[`out:${st.name}`] = st.outRate;
    out[`backlog:${st.name}`] = st.backlog;
    out[`lag:${st.name}`] = st.maxLagSeconds;
  }
  out.alertsPerMinute = s.alerts.perMinute;
  const dlq = s.dlq.map((d) => d.perMinute).filter((x) => x !== null);
  out.dlqPerMinute = dlq.length > 0 ? dlq.reduce((a, b) => a + b, 0) : null;
  return out;
}

export class History {
  private readonly at: number[] = [];
  private readonly series = new Map<string, (number | null)[]>();

  constructor(private readonly capacity: number) {}

  push(at: number, values: Record<string, number | null>): void {
    this.at.push(at);
    // A series seen for the first time has been unknown until now.
    for (const name of Object.keys(values)) {
      if (!this.series.has(name)) this.series.set(name, new Array(this.at.length - 1).fill(null));
    }
    for (const [name, points] of this.series) points.push(values[name] ?? null);
    if (this.at.length > this.capacity) {
      this.at.shift();
      for (const points of this.series.values()) points.shift();
    }
  }

  toJSON(): HistoryJson {
    return {
      at: [...this.at],
      series: Object.fromEntries([...this.series].map(([k, v]) => [k, [...v]])),
    };
  }
}
