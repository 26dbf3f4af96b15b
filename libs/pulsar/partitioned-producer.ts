// The public Producer: one object over a non-partitioned topic, one partition
// (`T-partition-i`), or every partition of a partitioned topic. Keyed messages are routed
// like the Java client (murmur3 of the key, signSafeMod); keyless ones round-robin.
import {
  COMPRESSION_TYPES,
  isCompressionSupported,
  type CompressionName,
} from './compression/index.ts';
import type { ClientContext } from './connection-handler.ts';
import { PendingLimit } from './deferred.ts';
import { ProducerQueueFullError, PulsarError } from './errors.ts';
import type { MessageId } from './message-id.ts';
import { partitionForKey, type HashingScheme } from './murmur3.ts';
import { ProducerAccessMode } from './protocol/commands.ts';
import { followPartitions, topicsOf, type PartitionWatch } from './partition-watch.ts';
import {
  PartitionProducer,
  type PartitionProducerConfig,
  type ProducerMessage,
} from './producer.ts';
import { fullTopicName, partitionIndexOf } from './topic-name.ts';

export interface ProducerOptions {
  topic: string;
  /** Stable name: required for broker deduplication across restarts. */
  producerName?: string;
  /** Batching on by default (1000 messages / 128 KiB / 10 ms); false sends one entry per message. */
  batching?:
    | false
    | Partial<{ maxMessages: number; maxBytes: number; maxDelayMs: number; keyBased: boolean }>;
  compression?: CompressionName;
  /** 'key-hash' (default): keyed messages by murmur3(key), keyless round-robin. 'round-robin': ignore keys. */
  routing?: 'key-hash' | 'round-robin';
  hashingScheme?: HashingScheme;
  /** Messages accepted but not yet acknowledged, over all partitions (default 10000). */
  maxPendingMessages?: number;
  /** When the queue is full: wait for room (true) or reject with ProducerQueueFullError (false, default). */
  blockIfQueueFull?: boolean;
  /** Fail a send not acknowledged in this time (default 30000; 0 = retry forever). */
  sendTimeoutMs?: number;
  accessMode?: keyof typeof ProducerAccessMode;
  properties?: Record<string, string>;
  /**
   * On a partitioned topic, look for new partitions this often and send to them too (keyed
   * messages are then routed over the new count, as the Java client does); 0 = never.
   * Default: the client's `partitionsRefreshMs`.
   */
  partitionsRefreshMs?: number;
}

export type { ProducerMessage } from './producer.ts';

export class Producer {
  readonly topic: string;
  private readonly limit: PendingLimit;
  private roundRobin = 0;
  private closed = false;

  private watch: PartitionWatch | undefined;

  private constructor(
    private readonly options: ProducerOptions,
    topic: string,
    private readonly partitions: PartitionProducer[],
    limit: PendingLimit,
  ) {
    this.topic = topic;
    this.limit = limit;
  }

  static async create(client: ClientContext, options: ProducerOptions): Promise<Producer> {
    const topic = fullTopicName(options.topic);
    const compressionName = options.compression ?? 'none';
    const compression = COMPRESSION_TYPES[compressionName];
    if (compression === undefined) {
      throw new PulsarError(
        `unknown compression "${compressionName}": use none, lz4, zlib, zstd or snappy`,
      );
    }
    if (!isCompressionSupported(compression)) {
      throw new PulsarError(
        `compression "${compressionName}" is not supported by this client: use none, lz4, zlib, zstd or snappy`,
      );
    }
    const count = partitionIndexOf(topic) >= 0 ? 0 : await client.lookup.partitionCount(topic);
    const limit = new PendingLimit(options.maxPendingMessages ?? 10_000);
    const b = options.batching;
    const batching =
      b === false
        ? undefined
        : {
            maxMessages: b?.maxMessages ?? 1000,
            maxBytes: b?.maxBytes ?? 128 * 1024,
            maxDelayMs: b?.maxDelayMs ?? 10,
            keyBased: b?.keyBased ?? false,
          };
    const partitionProducer = (name: string): PartitionProducer =>
      new PartitionProducer(client, {
        topic: name,
        partition: partitionIndexOf(name),
        producerName: options.producerName,
        batching,
        compression,
        sendTimeoutMs: options.sendTimeoutMs ?? 30_000,
        accessMode: ProducerAccessMode[options.accessMode ?? 'Shared'],
        properties: options.properties ?? {},
        onSettled: (n) => limit.release(n),
      } satisfies PartitionProducerConfig);
    const partitions = topicsOf(topic, count).map(partitionProducer);
    await startAll(partitions);
    const producer = new Producer(options, topic, partitions, limit);
    const intervalMs = options.partitionsRefreshMs ?? client.partitionsRefreshMs;
    producer.watch = followPartitions(client, topic, count, intervalMs, async (names) => {
      const added = names.map(partitionProducer);
      await startAll(added);
      if (producer.closed) {
        await Promise.allSettled(added.map((p) => p.close()));
        return;
      }
      // Appended whole, so routing switches to the new count in one step.
      producer.partitions.push(...added);
      client.logger.info(`producing to new partitions of ${topic}`, { added: names });
    });
    return producer;
  }

  get producerName(): string | undefined {
    return this.partitions[0]?.producerName;
  }

  get numPartitions(): number {
    return this.partitions.length;
  }

  /** Index into the partition list the message goes to (exposed for tests and tooling). */
  choosePartition(msg: ProducerMessage): number {
    const n = this.partitions.length;
    if (n === 1) return 0;
    if (msg.key !== undefined && this.options.routing !== 'round-robin') {
      return partitionForKey(msg.key, n, this.options.hashingScheme);
    }
    this.roundRobin = (this.roundRobin + 1) % n;
    return this.roundRobin;
  }

  /**
   * Sends one message; resolves with its MessageId when the broker has persisted it. Calls are
   * ordered: messages of one producer to one partition keep the order of send() calls.
   */
  send(msg: ProducerMessage): Promise<MessageId> {
    if (!Buffer.isBuffer(msg.payload)) {
      return Promise.reject(new TypeError('send(): payload must be a Buffer'));
    }
    if (this.closed) return Promise.reject(new PulsarError(`producer on ${this.topic} is closed`));
    if (this.limit.tryAcquire()) return this.partitions[this.choosePartition(msg)]!.send(msg);
    if (!this.options.blockIfQueueFull) {
      return Promise.reject(new ProducerQueueFullError(this.limit.max));
    }
    return new Promise<MessageId>((resolve, reject) =>
      this.limit.acquire(() =>
        this.partitions[this.choosePartition(msg)]!.send(msg).then(resolve, reject),
      ),
    );
  }

  /** Partition topics not attached to a broker now (empty when all are connected). */
  get disconnectedTopics(): string[] {
    return this.partitions.filter((p) => !p.connected).map((p) => p.topic);
  }

  /** Messages accepted and not yet acknowledged. */
  get pendingMessages(): number {
    return this.limit.inUse;
  }

  /** Sends open batches now and resolves when everything sent so far is acknowledged. */
  async flush(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.flush()));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watch?.stop();
    await Promise.all(this.partitions.map((p) => p.close()));
  }
}

/** Starts every partition producer, or closes them all and throws the first failure. */
async function startAll(partitions: readonly PartitionProducer[]): Promise<void> {
  try {
    await Promise.all(partitions.map((p) => p.start()));
  } catch (err) {
    await Promise.allSettled(partitions.map((p) => p.close()));
    throw err;
  }
}
