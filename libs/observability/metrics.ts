// A Prometheus registry with no dependencies: counters, gauges and histograms with labels,
// rendered in the text exposition format 0.0.4 that /metrics serves.

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const DEFAULT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export type Labels<L extends string> = Readonly<Record<L, string | number>>;

export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

type Kind = 'counter' | 'gauge' | 'histogram';

interface Metric {
  readonly name: string;
  render(): string;
}

/** Series of one metric, keyed by label values in labelNames order. */
abstract class Family<L extends string, S> implements Metric {
  readonly name: string;
  readonly #help: string;
  readonly #kind: Kind;
  protected readonly labelNames: readonly L[];
  protected readonly series = new Map<string, { labels: string; value: S }>();

  constructor(kind: Kind, opts: MetricOptions<L>) {
    if (!METRIC_NAME.test(opts.name)) throw new Error(`invalid metric name ${opts.name}`);
    for (const label of opts.labelNames ?? []) {
      if (!LABEL_NAME.test(label) || label.startsWith('__') || label === 'le') {
        throw new Error(`invalid label name ${label} on metric ${opts.name}`);
      }
    }
    this.name = opts.name;
    this.#help = opts.help;
    this.#kind = kind;
    this.labelNames = opts.labelNames ?? [];
  }

  protected abstract create(): S;
  protected abstract renderSeries(labels: string, value: S): string[];

  /** The series for these label values (created at zero on first use). */
  protected get(labels: Labels<L> | undefined): S {
    const values = this.labelNames.map((name) => {
      const value = labels?.[name];
      if (value === undefined) throw new Error(`metric ${this.name} needs label ${name}`);
      return String(value);
    });
    const extra = Object.keys(labels ?? {}).filter((k) => !this.labelNames.includes(k as L));
    if (extra.length > 0) throw new Error(`metric ${this.name} has no label ${extra.join(', ')}`);
    const key = values.join('\u0000');
    let entry = this.series.get(key);
    if (entry === undefined) {
      const rendered = this.labelNames.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
      entry = { labels: rendered.join(','), value: this.create() };
      this.series.set(key, entry);
    }
    return entry.value;
  }

  render(): string {
    const lines = [
      `# HELP ${this.name} ${escapeHelp(this.#help)}`,
      `# TYPE ${this.name} ${this.#kind}`,
    ];
    // A metric without labels exists from registration, so dashboards see 0 rather than nothing.
    if (this.labelNames.length === 0) this.get(undefined);
    for (const { labels, value } of this.series.values())
      lines.push(...this.renderSeries(labels, value));
    return lines.join('\n');
  }
}

export class Counter<L extends string = never> extends Family<L, { n: number }> {
  constructor(opts: MetricOptions<L>) {
    super('counter', opts);
  }

  protected create() {
    return { n: 0 };
  }

  inc(by?: number): void;
  inc(labels: Labels<L>, by?: number): void;
  inc(a?: number | Labels<L>, b?: number): void {
    const [labels, by] = split(a, b, 1);
    if (!(by >= 0)) throw new Error(`counter ${this.name} can only go up (got ${by})`);
    this.get(labels).n += by;
  }

  value(labels?: Labels<L>): number {
    return this.get(labels).n;
  }

  protected renderSeries(labels: string, s: { n: number }): string[] {
    return [`${this.name}${braces(labels)} ${formatValue(s.n)}`];
  }
}

export class Gauge<L extends string = never> extends Family<L, { n: number }> {
  readonly #collect: (() => void) | undefined;

  constructor(opts: MetricOptions<L> & { collect?: (gauge: Gauge<L>) => void }) {
    super('gauge', opts);
    const { collect } = opts;
    this.#collect = collect && (() => collect(this));
  }

  protected create() {
    return { n: 0 };
  }

  set(value: number): void;
  set(labels: Labels<L>, value: number): void;
  set(a: number | Labels<L>, b?: number): void {
    const [labels, value] = split(a, b, 0);
    this.get(labels).n = value;
  }

  inc(by?: number): void;
  inc(labels: Labels<L>, by?: number): void;
  inc(a?: number | Labels<L>, b?: number): void {
    const [labels, by] = split(a, b, 1);
    this.get(labels).n += by;
  }

  dec(by?: number): void;
  dec(labels: Labels<L>, by?: number): void;
  dec(a?: number | Labels<L>, b?: number): void {
    const [labels, by] = split(a, b, 1);
    this.get(labels).n -= by;
  }

  value(labels?: Labels<L>): number {
    return this.get(labels).n;
  }

  /** Drops a series, e.g. the gauge of a partition this process no longer owns. */
  remove(labels: Labels<L>): void {
    this.series.delete(this.labelNames.map((n) => String(labels[n])).join('\u0000'));
  }

  /** Drops every series: a `collect` callback that sets the current ones afresh starts here. */
  reset(): void {
    this.series.clear();
  }

  override render(): string {
    this.#collect?.();
    return super.render();
  }

  protected renderSeries(labels: string, s: { n: number }): string[] {
    return [`${this.name}${braces(labels)} ${formatValue(s.n)}`];
  }
}

interface HistogramSeries {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = never> extends Family<L, HistogramSeries> {
  readonly #buckets: readonly number[];

  constructor(opts: MetricOptions<L> & { buckets?: readonly number[] }) {
    super('histogram', opts);
    const buckets = opts.buckets ?? DEFAULT_BUCKETS;
    for (let i = 1; i < buckets.length; i++) {
      if (!((buckets[i] as number) > (buckets[i - 1] as number))) {
        throw new Error(`histogram ${opts.name}: buckets must increase`);
      }
    }
    this.#buckets = buckets;
  }

  protected create(): HistogramSeries {
    return { counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
  }

  observe(value: number): void;
  observe(labels: Labels<L>, value: number): void;
  observe(a: number | Labels<L>, b?: number): void {
    const [labels, value] = split(a, b, 0);
    const s = this.get(labels);
    // Each observation is counted in its smallest bucket; rendering makes the counts cumulative.
    const i = this.#buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count += 1;
  }

  /** Starts a timer; calling the result observes the elapsed seconds. */
  startTimer(labels?: Labels<L>): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (labels === undefined) this.observe(seconds);
      else this.observe(labels, seconds);
      return seconds;
    };
  }

  protected renderSeries(labels: string, s: HistogramSeries): string[] {
    const sep = labels === '' ? '' : ',';
    const lines: string[] = [];
    let cumulative = 0;
    this.#buckets.forEach((bound, i) => {
      cumulative += s.counts[i] as number;
      lines.push(`${this.name}_bucket{${labels}${sep}le="${formatValue(bound)}"} ${cumulative}`);
    });
    lines.push(`${this.name}_bucket{${labels}${sep}le="+Inf"} ${s.count}`);
    lines.push(`${this.name}_sum${braces(labels)} ${formatValue(s.sum)}`);
    lines.push(`${this.name}_count${braces(labels)} ${s.count}`);
    return lines;
  }
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  counter<L extends string = never>(opts: MetricOptions<L>): Counter<L> {
    return this.#add(new Counter(opts));
  }

  gauge<L extends string = never>(
    opts: MetricOptions<L> & { collect?: (gauge: Gauge<L>) => void },
  ): Gauge<L> {
    return this.#add(new Gauge(opts));
  }

  histogram<L extends string = never>(
    opts: MetricOptions<L> & { buckets?: readonly number[] },
  ): Histogram<L> {
    return this.#add(new Histogram(opts));
  }

  /** The whole registry in Prometheus text format. */
  render(): string {
    const blocks = [...this.#metrics.values()].map((m) => m.render());
    return blocks.length === 0 ? '' : `${blocks.join('\n')}\n`;
  }

  #add<M extends Metric>(metric: M): M {
    if (this.#metrics.has(metric.name))
      throw new Error(`metric ${metric.name} is already registered`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

/** Process gauges every service exposes: memory, heap, uptime, start time. */
export function registerProcessMetrics(registry: MetricsRegistry): void {
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  registry.gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since the Unix epoch in seconds.',
    collect: (g) => g.set(startSeconds),
  });
  registry.gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    collect: (g) => g.set(process.memoryUsage.rss()),
  });
  registry.gauge({
    name: 'nodejs_heap_used_bytes',
    help: 'V8 heap in use, in bytes.',
    collect: (g) => g.set(process.memoryUsage().heapUsed),
  });
  registry.gauge({
    name: 'process_cpu_seconds',
    help: 'User plus system CPU time spent by the process, in seconds.',
    collect: (g) => {
      const { user, system } = process.cpuUsage();
      g.set((user + system) / 1e6);
    },
  });
}

/** (value) or (labels, value) → [labels, value]. */
function split<L extends string>(
  a: number | Labels<L> | undefined,
  b: number | undefined,
  fallback: number,
): [Labels<L> | undefined, number] {
  return typeof a === 'object' ? [a, b ?? fallback] : [undefined, a ?? fallback];
}

function braces(labels: string): string {
  return labels === '' ? '' : `{${labels}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}
