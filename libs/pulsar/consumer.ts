// The public Consumer: one subscription over a topic, one partition, or all partitions of a
// partitioned topic, with one shared receive queue (bounded by the FLOW permits of each
// partition), receive()/receiveBatch()/async iteration, acks and positioning.
import { EventEmitter } from 'node:events';
import type { ClientContext } from './connection-handler.ts';
import { Fifo } from './fifo.ts';
import { AlreadyClosedError, PulsarError, TimeoutError } from './errors.ts';
import type { Message } from './message.ts';
import { MessageId } from './message-id.ts';
import { PartitionConsumer } from './partition-consumer.ts';
import { followPartitions, topicsOf, type PartitionWatch } from './partition-watch.ts';
import { InitialPosition, SubType } from './protocol/commands.ts';
import { fullTopicName, partitionIndexOf } from './topic-name.ts';

export type SubscriptionType = 'Exclusive' | 'Shared' | 'Failover' | 'Key_Shared';

export interface ConsumerOptions {
  topic: string;
  subscription: string;
  type?: SubscriptionType;
  initialPosition?: 'Latest' | 'Earliest';
  /** Messages prefetched per partition (FLOW permits). Default 1000. */
  receiverQueueSize?: number;
  consumerName?: string;
  /** Shared subscriptions dispatch to lower levels first. */
  priorityLevel?: number;
  /** Acks are grouped for this long before being written (default 100 ms; 0 = at once). */
  ackGroupTimeMs?: number;
  /**
   * Send acks of single messages of a batch to the broker at once, with an ack_set (Pulsar's
   * batch-index acknowledgement), so a restart redelivers only what was not acknowledged.
   * Needs `acknowledgmentAtBatchIndexLevelEnabled=true` on the broker; a broker without it
   * ignores those partial acks and the whole batch is redelivered, as with this off (the
   * default, like the Java client's). The entry itself is acked once all its messages are.
   */
  batchIndexAck?: boolean;
  /** Delay before negatively acknowledged messages are redelivered (default 1000 ms). */
  nackRedeliveryDelayMs?: number;
  readCompacted?: boolean;
  /**
   * An entry the consumer cannot decode (checksum mismatch, a declared size above the
   * client's maxMessageSize, corrupt compression or batch, unknown codec): 'discard' acks it
   * with a validation error and logs a warning, as the Java client does (default);
   * 'deliver' hands it over as one message with `decodeError` set and its raw bytes, so
   * the application can dead-letter it.
   */
  corruptMessages?: 'discard' | 'deliver';
  /**
   * On a partitioned topic, look for new partitions this often and subscribe to them (their
   * messages from the subscription's initial position); 0 = never. Default: the client's
   * `partitionsRefreshMs`.
   */
  partitionsRefreshMs?: number;
}

/** Internal options readers use on top of the public ones. */
export interface InternalConsumerOptions extends ConsumerOptions {
  durable?: boolean;
  startMessageId?: MessageId;
  startMessageIdInclusive?: boolean;
}

export interface ActiveChangeEvent {
  topic: string;
  partition: number;
  active: boolean;
}

interface Queued {
  msg: Message;
  from: PartitionConsumer;
}

interface Waiter {
  max: number;
  resolve(msgs: Message[]): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export interface ConsumerEvents {
  activeChange: [ActiveChangeEvent];
  endOfTopic: [string];
  /** New partitions were subscribed to (their topic names). */
  partitionsAdded: [string[]];
}

export class Consumer extends EventEmitter<ConsumerEvents> {
  readonly topic: string;
  readonly subscription: string;
  private readonly partitions: PartitionConsumer[] = [];
  private readonly byTopic = new Map<string, PartitionConsumer>();
  private readonly queue = new Fifo<Queued>();
  private waiters: Waiter[] = [];
  private closed = false;
  /** Last Failover activity per partition topic: the event can arrive before a listener. */
  private readonly activity = new Map<string, boolean>();
  /** Follows the partition count of a partitioned topic (subscribes to new partitions). */
  private watch: PartitionWatch | undefined;

  private constructor(topic: string, subscription: string) {
    super();
    this.topic = topic;
    this.subscription = subscription;
  }

  static async create(client: ClientContext, options: InternalConsumerOptions): Promise<Consumer> {
    const topic = fullTopicName(options.topic);
    const consumer = new Consumer(topic, options.subscription);
    const count = partitionIndexOf(topic) >= 0 ? 0 : await client.lookup.partitionCount(topic);
    try {
      await consumer.addPartitions(client, options, topicsOf(topic, count));
    } catch (err) {
      await consumer.close();
      throw err;
    }
    const intervalMs = options.partitionsRefreshMs ?? client.partitionsRefreshMs;
    consumer.watch = followPartitions(client, topic, count, intervalMs, async (added) => {
      await consumer.addPartitions(client, options, added);
      client.logger.info(`subscribed to new partitions of ${topic}`, { added });
      consumer.emit('partitionsAdded', added);
    });
    return consumer;
  }

  /** Subscribes to each named partition topic not subscribed yet. */
  private async addPartitions(
    client: ClientContext,
    options: InternalConsumerOptions,
    names: readonly string[],
  ): Promise<void> {
    const added: PartitionConsumer[] = [];
    for (const name of names) {
      if (this.byTopic.has(name)) continue;
      const pc = new PartitionConsumer(client, {
        topic: name,
        partition: partitionIndexOf(name),
        subscription: options.subscription,
        subType: SubType[options.type ?? 'Exclusive'],
        initialPosition: InitialPosition[options.initialPosition ?? 'Latest'],
        receiverQueueSize: Math.max(1, options.receiverQueueSize ?? 1000),
        consumerName: options.consumerName,
        priorityLevel: options.priorityLevel,
        durable: options.durable ?? true,
        startMessageId: options.startMessageId,
        startMessageIdInclusive: options.startMessageIdInclusive ?? false,
        readCompacted: options.readCompacted ?? false,
        ackGroupTimeMs: options.ackGroupTimeMs ?? 100,
        batchIndexAck: options.batchIndexAck ?? false,
        nackRedeliveryDelayMs: options.nackRedeliveryDelayMs ?? 1000,
        corruptMessages: options.corruptMessages ?? 'discard',
        deliver: (msg, from) => this.push(msg, from),
        purge: (from) => this.purge(from),
        onActiveChange: (t, partition, active) => {
          this.activity.set(t, active);
          this.emit('activeChange', { topic: t, partition, active });
        },
        onEndOfTopic: (t) => this.emit('endOfTopic', t),
      });
      added.push(pc);
    }
    const started = await Promise.allSettled(added.map((p) => p.start()));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      // None of this round joins: the next attempt subscribes to all of them again.
      await this.dropPartitions(added);
      throw failed.reason;
    }
    if (this.closed) {
      await this.dropPartitions(added);
      return;
    }
    for (const pc of added) {
      this.partitions.push(pc);
      this.byTopic.set(pc.topic, pc);
    }
  }

  private async dropPartitions(pcs: readonly PartitionConsumer[]): Promise<void> {
    await Promise.allSettled(pcs.map((p) => p.close()));
    for (const pc of pcs) this.purge(pc);
  }

  /**
   * Whether the broker made this consumer the active one (Failover) for `topic` (a partition
   * topic name, or the topic itself when it is not partitioned); undefined until it said.
   */
  isActive(topic: string = this.topic): boolean | undefined {
    return this.activity.get(fullTopicName(topic));
  }

  /** The partition topics this consumer covers. */
  get topics(): string[] {
    return this.partitions.map((p) => p.topic);
  }

  private push(msg: Message, from: PartitionConsumer): void {
    this.queue.push({ msg, from });
    this.serveWaiters();
  }

  private purge(from: PartitionConsumer): number {
    return this.queue.filter((q) => q.from !== from).length;
  }

  private take(max: number): Message[] {
    const out: Message[] = [];
    while (out.length < max && this.queue.length > 0) {
      const q = this.queue.shift()!;
      q.from.dequeued(q.msg);
      out.push(q.msg);
    }
    return out;
  }

  /**
   * Queue length from which no more messages come until some are taken (flow control stops
   * each partition about one entry short of receiverQueueSize): a batch asking for more is
   * served from here instead of waiting out its timeout, as Java caps batch receives.
   */
  private fullAt(): number {
    let n = 0;
    for (const p of this.partitions) n += p.fullAt;
    return Math.max(1, n);
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0 && this.queue.length > 0) {
      const w = this.waiters[0]!;
      // fullAt() sums over the partitions: only asked when the queue is short of `max`.
      const waiting = w.max > 1 && w.timer !== undefined && this.queue.length < w.max;
      if (waiting && this.queue.length < this.fullAt()) return;
      this.waiters.shift();
      if (w.timer) clearTimeout(w.timer);
      w.resolve(this.take(w.max));
    }
  }

  /**
   * Up to `max` messages: resolves as soon as `max` are queued, or after `timeoutMs` with
   * whatever arrived (possibly none).
   */
  receiveBatch(max: number, timeoutMs: number): Promise<Message[]> {
    if (this.closed) return Promise.reject(new AlreadyClosedError(`consumer on ${this.topic}`));
    if (this.waiters.length === 0 && this.queue.length >= Math.min(max, this.fullAt())) {
      return Promise.resolve(this.take(max));
    }
    return new Promise<Message[]>((resolve, reject) => {
      const w: Waiter = { max, resolve, reject, timer: undefined };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(this.take(max));
      }, timeoutMs);
      this.waiters.push(w);
      this.serveWaiters();
    });
  }

  /** The next message; waits for ever, or rejects with TimeoutError after `timeoutMs`. */
  receive(timeoutMs?: number): Promise<Message> {
    if (this.closed) return Promise.reject(new AlreadyClosedError(`consumer on ${this.topic}`));
    if (this.waiters.length === 0 && this.queue.length > 0) {
      return Promise.resolve(this.take(1)[0]!);
    }
    return new Promise<Message>((resolve, reject) => {
      const w: Waiter = {
        max: 1,
        resolve: (msgs) => resolve(msgs[0]!),
        reject,
        timer: undefined,
      };
      if (timeoutMs !== undefined) {
        w.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new TimeoutError(`no message on ${this.topic} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.waiters.push(w);
      this.serveWaiters();
    });
  }

  /** Iterates messages until the consumer is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    while (!this.closed) {
      try {
        yield await this.receive();
      } catch (err) {
        if (err instanceof AlreadyClosedError) return;
        throw err;
      }
    }
  }

  /** Partition topics not attached to a broker now (empty when all are connected). */
  get disconnectedTopics(): string[] {
    return this.partitions.filter((p) => !p.connected).map((p) => p.topic);
  }

  /** Messages prefetched and not yet handed to the application. */
  get queuedMessages(): number {
    return this.queue.length;
  }

  private owner(msg: Message | MessageId): PartitionConsumer {
    if (!(msg instanceof MessageId)) {
      const pc = this.byTopic.get(msg.topic);
      if (pc) return pc;
    }
    const id = msg instanceof MessageId ? msg : msg.messageId;
    const pc =
      this.partitions.length === 1
        ? this.partitions[0]
        : this.partitions.find((p) => p.partition === id.partition);
    if (!pc) throw new PulsarError(`message ${id.serialize()} does not belong to ${this.topic}`);
    return pc;
  }

  /** Acknowledges one message (a batched entry is acked once all its messages are). */
  ack(msg: Message | MessageId): Promise<void> {
    const id = msg instanceof MessageId ? msg : msg.messageId;
    return this.owner(msg).ack(id);
  }

  /** Acknowledges everything up to and including this message, on its partition. */
  ackCumulative(msg: Message | MessageId): Promise<void> {
    const id = msg instanceof MessageId ? msg : msg.messageId;
    return this.owner(msg).ackCumulative(id);
  }

  /** Redelivers the message after nackRedeliveryDelayMs (whole subscription on Exclusive/Failover). */
  negativeAck(msg: Message | MessageId): void {
    const id = msg instanceof MessageId ? msg : msg.messageId;
    this.owner(msg).negativeAck(id);
  }

  redeliverUnacknowledged(): void {
    for (const p of this.partitions) p.redeliverUnacknowledged();
  }

  /**
   * Moves the subscription to a message id (that message is delivered next) or to a publish
   * timestamp (ms). On a partitioned topic, a message id applies to its own partition and a
   * timestamp to all.
   */
  async seek(target: MessageId | number): Promise<void> {
    if (typeof target === 'number') {
      await Promise.all(this.partitions.map((p) => p.seek(target)));
      return;
    }
    const targets =
      target.ledgerId < 0 || target.compare(MessageId.latest) >= 0
        ? this.partitions
        : [this.owner(target)];
    await Promise.all(targets.map((p) => p.seek(target)));
  }

  /** Last message id of a non-partitioned topic (or of partition 0's owner when only one). */
  async getLastMessageId(): Promise<MessageId> {
    if (this.partitions.length !== 1) {
      throw new PulsarError(
        `${this.topic} has ${this.partitions.length} partitions: use getLastMessageIds()`,
      );
    }
    return this.partitions[0]!.getLastMessageId();
  }

  async getLastMessageIds(): Promise<MessageId[]> {
    return Promise.all(this.partitions.map((p) => p.getLastMessageId()));
  }

  /** @internal the last message handed out per partition (readers use it). */
  lastDequeuedIds(): (MessageId | undefined)[] {
    return this.partitions.map((p) => p.lastDequeuedId);
  }

  async unsubscribe(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.unsubscribe()));
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new AlreadyClosedError(`consumer on ${this.topic}`);
    for (const w of this.waiters) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters = [];
    await this.watch?.stop();
    await Promise.allSettled(this.partitions.map((p) => p.close()));
    this.queue.clear();
  }
}
