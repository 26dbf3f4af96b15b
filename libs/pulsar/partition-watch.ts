// Follows a partitioned topic's partition count (PARTITIONED_METADATA every `intervalMs`) and
// reports growth, as the Java client's autoUpdatePartitions does: `iotctl topics ensure` (or
// any admin) can raise a count while producers and consumers run. Pulsar never lowers one,
// so a smaller answer is ignored.

export interface PartitionWatchOptions {
  /** The topic's current partition count (0: not partitioned). */
  count: () => Promise<number>;
  /** The count known now; growth is reported from here. */
  initial: number;
  intervalMs: number;
  /**
   * Called per growth, never concurrently; `from` is the count before. When it fails it is
   * called again with the same `from` at the next interval, so it must skip what it did.
   */
  onGrow: (from: number, to: number) => Promise<void> | void;
  /** A failed metadata request or onGrow; the next interval tries again. */
  onError?: (err: unknown) => void;
}

export class PartitionWatch {
  private known: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: PartitionWatchOptions) {
    this.known = opts.initial;
  }

  /** The last count acted on. */
  get partitions(): number {
    return this.known;
  }

  start(): this {
    if (this.opts.intervalMs > 0 && this.timer === undefined) {
      this.timer = setInterval(() => void this.check(), this.opts.intervalMs);
      this.timer.unref();
    }
    return this;
  }

  /** Asks once now (also what the timer does); resolves when any growth was handled. */
  check(): Promise<void> {
    this.running ??= this.poll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async poll(): Promise<void> {
    try {
      const n = await this.opts.count();
      if (n <= this.known || this.stopped) return;
      const from = this.known;
      await this.opts.onGrow(from, n);
      this.known = n;
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
