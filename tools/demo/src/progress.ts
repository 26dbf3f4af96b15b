// The demo's live progress: what the services' /metrics and the Pulsar admin API say now,
// as one refreshing line on a terminal or a plain line every few seconds otherwise. The
// figures are the pipeline's own (counters it exports, the broker's counts), never a count
// the demo keeps on the side.

/**
 * Sum of the samples of metric `name` in Prometheus text, over every label set or only those
 * that have the label `label` (e.g. `result="complete"`); 0 when absent.
 */
export function sumSamples(text: string, name: string, label?: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // `name value` or `name{labels} value`; not a longer name that starts the same.
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (label !== undefined && !/^\{[^}]*\}/.exec(rest)?.[0].includes(label)) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

export interface Figures {
  /** Messages the broker accepted on the source topic. */
  published: number;
  /** Records the aggregator applied. */
  aggregated: number;
  /** Window (aggregate) rows ClickHouse confirmed to the writer. */
  rows: number;
  /** Messages not yet acknowledged, over the stages' subscriptions. */
  backlog: number;
  /** Last complete checkpoint epoch (undefined before the first). */
  epoch: number | undefined;
  /** When the figures were read (ms). */
  at: number;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/** One progress line; throughput is ingest's rate between `prev` and `now`. */
export function formatProgress(now: Figures, prev: Figures | undefined): string {
  const seconds = prev === undefined ? 0 : (now.at - prev.at) / 1000;
  // A broker restart resets its counter: count from zero then, as Prometheus' rate() does.
  const added =
    prev === undefined || now.published < prev.published
      ? now.published
      : now.published - prev.published;
  return [
    `published ${n(now.published)}`,
    `aggregated ${n(now.aggregated)}`,
    `rows ${n(now.rows)}`,
    seconds > 0 ? `${n(added / seconds)} msg/s` : '- msg/s',
    `backlog ${n(now.backlog)}`,
    `epoch ${now.epoch === undefined ? '-' : now.epoch}`,
  ].join(' | ');
}

export interface ProgressOptions {
  read: () => Promise<Figures>;
  out: { write(s: string): unknown; isTTY?: boolean };
  /** Default: 1 s on a terminal, 5 s otherwise. */
  intervalMs?: number;
}

/** Refreshes the line until `stop()`; a failed read skips one update. */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private prev: Figures | undefined;
  private shown = false;
  private reading = false;
  private stopped = false;

  constructor(private readonly opts: ProgressOptions) {}

  private get tty(): boolean {
    return this.opts.out.isTTY === true;
  }

  start(): void {
    const every = this.opts.intervalMs ?? (this.tty ? 1000 : 5000);
    this.timer = setInterval(() => void this.update(), every);
    this.timer.unref();
  }

  async update(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const now = await this.opts.read();
      const line = formatProgress(now, this.prev);
      this.prev = now;
      if (this.stopped) return; // stopped while reading: the summary owns the screen now
      if (this.tty) {
        this.opts.out.write(`\r\x1b[K${line}`);
        this.shown = true;
      } else this.opts.out.write(`${line}\n`);
    } catch {
      // The next tick tries again; a service starting or stopping may not answer once.
    } finally {
      this.reading = false;
    }
  }

  /** Clears the refreshing line (before other output); the next update draws it again. */
  clear(): void {
    if (this.shown) this.opts.out.write('\r\x1b[K');
    this.shown = false;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }
}
