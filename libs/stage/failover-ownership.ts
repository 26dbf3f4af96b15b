// Partition ownership for a stage: one Failover consumer per partition of the input topic;
// the broker makes exactly one instance's consumer active per partition, and that instance
// runs the partition's loop. More replicas → partitions spread over them; a replica gone →
// its partitions' consumers on the others become active and the loops start there. Partitions
// added to the topic while the stage runs (`iotctl topics ensure` raising the count) are
// subscribed to within `refreshMs` and join the same way.
import { hostname } from 'node:os';
import type { PartitionSupervisor } from '@iot/actors';
import {
  PartitionWatch,
  partitionTopicName,
  type Consumer,
  type ConsumerOptions,
  type PulsarClient,
} from '@iot/pulsar';

export interface PartitionConsumer {
  partition: number;
  topic: string;
  consumer: Consumer;
}

/** A consumer name unique to this process, so the broker can tell instances apart. */
export function instanceName(service: string): string {
  return `${service}-${hostname()}-${process.pid}`;
}

export interface PartitionedSubscriptionOptions {
  topic: string;
  subscription: string;
  consumerName: string;
  receiverQueueSize?: number;
  /** 'deliver': undecodable entries reach the stage (decodeError set) for its DLQ. */
  corruptMessages?: 'discard' | 'deliver';
  /** Look for new partitions this often (ms); 0 or absent: only those there at start. */
  refreshMs?: number;
  /** A failed look-up of the partition count (the next interval tries again). */
  onRefreshError?: (err: unknown) => void;
  /** New partitions were subscribed to. */
  onAdded?: (partitions: readonly number[]) => void;
}

/**
 * The stage's Failover consumers, one per partition of `topic` (or the topic itself when it
 * is not partitioned), growing with the topic. `sources` and `byPartition` are live.
 */
export class PartitionedSubscription {
  readonly sources: PartitionConsumer[] = [];
  readonly byPartition = new Map<number, Consumer>();
  private watch: PartitionWatch | undefined;

  private constructor(
    private readonly client: PulsarClient,
    private readonly opts: PartitionedSubscriptionOptions,
  ) {}

  static async open(
    client: PulsarClient,
    opts: PartitionedSubscriptionOptions,
  ): Promise<PartitionedSubscription> {
    const sub = new PartitionedSubscription(client, opts);
    const count = await client.getPartitionCount(opts.topic);
    await sub.add(count === 0 ? [{ partition: 0, topic: opts.topic }] : sub.partitions(0, count));
    // Pulsar cannot partition a non-partitioned topic: only a partitioned one can grow.
    if (count > 0 && (opts.refreshMs ?? 0) > 0) {
      sub.watch = new PartitionWatch({
        count: () => client.getPartitionCount(opts.topic),
        initial: count,
        intervalMs: opts.refreshMs!,
        onGrow: async (from, to) => {
          await sub.add(sub.partitions(from, to));
          opts.onAdded?.(Array.from({ length: to - from }, (_, i) => from + i));
        },
        onError: opts.onRefreshError,
      }).start();
    }
    return sub;
  }

  private partitions(from: number, to: number): { partition: number; topic: string }[] {
    return Array.from({ length: to - from }, (_, i) => ({
      partition: from + i,
      topic: partitionTopicName(this.opts.topic, from + i),
    }));
  }

  private async add(topics: readonly { partition: number; topic: string }[]): Promise<void> {
    const fresh = topics.filter((t) => !this.byPartition.has(t.partition));
    const subscribed = await Promise.allSettled(
      fresh.map(async (t) => ({ ...t, consumer: await this.client.subscribe(this.options(t)) })),
    );
    const failed = subscribed.find((r) => r.status === 'rejected');
    for (const r of subscribed) {
      if (r.status !== 'fulfilled') continue;
      // All or none, so a retry after a failure starts from the same list.
      if (failed !== undefined) await r.value.consumer.close();
      else {
        this.sources.push(r.value);
        this.byPartition.set(r.value.partition, r.value.consumer);
      }
    }
    if (failed !== undefined) throw failed.reason;
  }

  private options(t: { topic: string }): ConsumerOptions {
    return {
      topic: t.topic,
      subscription: this.opts.subscription,
      type: 'Failover',
      initialPosition: 'Earliest',
      consumerName: this.opts.consumerName,
      receiverQueueSize: this.opts.receiverQueueSize ?? 5000,
      corruptMessages: this.opts.corruptMessages ?? 'discard',
    };
  }

  /** Stops looking for partitions and closes every consumer. */
  async close(): Promise<void> {
    await this.watch?.stop();
    await Promise.all(this.sources.map((s) => s.consumer.close()));
  }
}

/** Subscribes to every partition of `topic` (or the topic itself when not partitioned). */
export function subscribePartitions(
  client: PulsarClient,
  opts: PartitionedSubscriptionOptions,
): Promise<PartitionedSubscription> {
  return PartitionedSubscription.open(client, opts);
}

/** Keeps the supervisor's owned partitions equal to those whose consumer is active. */
export class FailoverOwnership {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly subscription: Pick<PartitionedSubscription, 'sources'>,
    private readonly supervisor: PartitionSupervisor<number>,
    private readonly pollMs = 200,
  ) {}

  start(): void {
    this.sync();
    this.timer = setInterval(() => this.sync(), this.pollMs);
    this.timer.unref();
  }

  private sync(): void {
    // The live list: a partition subscribed to since the last poll is owned as soon as the
    // broker makes our consumer active for it.
    for (const { partition, consumer } of this.subscription.sources) {
      if (consumer.isActive() === true) this.supervisor.own(partition);
      else if (consumer.isActive() === false) void this.supervisor.release(partition);
    }
  }

  /** Stops following the broker and stops every loop at a micro-batch boundary. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.supervisor.releaseAll();
  }
}
