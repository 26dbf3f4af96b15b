// Follows a partitioned topic's partition count (PARTITIONED_METADATA every `intervalMs`) and
// reports growth, as the Java client's autoUpdatePartitions does: `iotctl topics ensure` (or
// any admin) can raise a count while producers and consumers run. Pulsar never lowers one,
// so a smaller answer is ignored.
import type { ClientContext } from './connection-handler.ts';
import { partitionTopicName } from './topic-name.ts';

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

/** The topics to address: `topic` itself when `count` is 0, else its partitions' names. */
export function topicsOf(topic: string, count: number): string[] {
  return count === 0 ? [topic] : partitionNames(topic, 0, count);
}

function partitionNames(topic: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => partitionTopicName(topic, from + i));
}

/**
 * For a partitioned producer or consumer: follows `topic`'s count (from `initial`, through the
 * client's lookup, every `intervalMs`) and hands `onNew` the names of partitions added.
 * Undefined for a topic that is not partitioned (Pulsar cannot partition it later).
 */
export function followPartitions(
  client: ClientContext,
  topic: string,
  initial: number,
  intervalMs: number,
  onNew: (names: string[]) => Promise<void>,
): PartitionWatch | undefined {
  if (initial === 0) return undefined;
  return new PartitionWatch({
    count: () => client.lookup.partitionCount(topic),
    initial,
    intervalMs,
    onGrow: (from, to) => onNew(partitionNames(topic, from, to)),
    onError: (err) => client.logger.warn(`cannot read the partition count of ${topic}`, { err }),
  }).start();
}
