// Partition ownership for a stage: one Failover consumer per partition of the input topic;
// the broker makes exactly one instance's consumer active per partition, and that instance
// runs the partition's loop. More replicas → partitions spread over them; a replica gone →
// its partitions' consumers on the others become active and the loops start there.
import { hostname } from 'node:os';
import type { PartitionSupervisor } from '@iot/actors';
import { partitionTopicName, type Consumer, type PulsarClient } from '@iot/pulsar';

export interface PartitionConsumer {
  partition: number;
  topic: string;
  consumer: Consumer;
}

/** A consumer name unique to this process, so the broker can tell instances apart. */
export function instanceName(service: string): string {
  return `${service}-${hostname()}-${process.pid}`;
}

/** Subscribes to every partition of `topic` (or the topic itself when not partitioned). */
export async function subscribePartitions(
  client: PulsarClient,
  opts: {
    topic: string;
    subscription: string;
    consumerName: string;
    receiverQueueSize?: number;
    /** 'deliver': undecodable entries reach the stage (decodeError set) for its DLQ. */
    corruptMessages?: 'discard' | 'deliver';
  },
): Promise<PartitionConsumer[]> {
  const count = await client.getPartitionCount(opts.topic);
  const topics =
    count === 0
      ? [{ partition: 0, topic: opts.topic }]
      : Array.from({ length: count }, (_, p) => ({
          partition: p,
          topic: partitionTopicName(opts.topic, p),
        }));
  return Promise.all(
    topics.map(async ({ partition, topic }) => ({
      partition,
      topic,
      consumer: await client.subscribe({
        topic,
        subscription: opts.subscription,
        type: 'Failover',
        initialPosition: 'Earliest',
        consumerName: opts.consumerName,
        receiverQueueSize: opts.receiverQueueSize ?? 5000,
        corruptMessages: opts.corruptMessages ?? 'discard',
      }),
    })),
  );
}

/** Keeps the supervisor's owned partitions equal to those whose consumer is active. */
export class FailoverOwnership {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly consumers: readonly PartitionConsumer[],
    private readonly supervisor: PartitionSupervisor<number>,
    private readonly pollMs = 200,
  ) {}

  start(): void {
    this.sync();
    this.timer = setInterval(() => this.sync(), this.pollMs);
    this.timer.unref();
  }

  private sync(): void {
    for (const { partition, consumer } of this.consumers) {
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
