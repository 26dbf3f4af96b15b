// A service's metrics: one prom-client registry per process, so every service exposes the
// same default process, GC and event-loop metrics beside its own. Ours are named
// `iot_<what>_<unit>` (counters end in `_total`); the full list is in the README's
// Observability section.
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

export { Counter, Gauge, Histogram };
export type Labels<L extends string> = Partial<Record<L, string | number>>;

/** Text format 0.0.4, what prom-client renders and every Prometheus scrapes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Seconds, from 5 ms to 10 s: micro-batches, inserts, epochs. */
export const DEFAULT_BUCKETS: number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** The metrics of one process; `render()` is what /metrics answers. */
export class MetricsRegistry {
  readonly registry = new Registry();

  counter<L extends string = never>(opts: MetricOptions<L>): Counter<L> {
    return new Counter<L>(this.#config(opts) as CounterConfiguration<L>);
  }

  /** `collect` runs at every scrape, to set values read from elsewhere (a queue length, a lag). */
  gauge<L extends string = never>(
    opts: MetricOptions<L> & { collect?: (gauge: Gauge<L>) => void | Promise<void> },
  ): Gauge<L> {
    const { collect } = opts;
    const config = this.#config(opts) as GaugeConfiguration<L>;
    if (collect !== undefined) {
      config.collect = function (this: Gauge<L>) {
        return collect(this);
      };
    }
    return new Gauge<L>(config);
  }

  histogram<L extends string = never>(
    opts: MetricOptions<L> & { buckets?: readonly number[] },
  ): Histogram<L> {
    return new Histogram<L>({
      ...(this.#config(opts) as HistogramConfiguration<L>),
      buckets: [...(opts.buckets ?? DEFAULT_BUCKETS)],
    });
  }

  /** The whole registry in Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  #config<L extends string>(opts: MetricOptions<L>) {
    if (this.registry.getSingleMetric(opts.name) !== undefined) {
      throw new Error(`metric ${opts.name} is already registered`);
    }
    return {
      name: opts.name,
      help: opts.help,
      labelNames: [...(opts.labelNames ?? [])] as L[],
      registers: [this.registry],
    };
  }
}

/**
 * prom-client's default metrics: process CPU, memory, open handles and start time, heap
 * spaces, GC durations by kind and event-loop lag percentiles (`nodejs_eventloop_lag_*`).
 */
export function registerProcessMetrics(registry: MetricsRegistry): void {
  collectDefaultMetrics({ register: registry.registry });
}
