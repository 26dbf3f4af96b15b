// A subscription on one topic or one partition: SUBSCRIBE, FLOW permits (re-granted as the
// application consumes, given back for dropped messages), batch unpacking and
// decompression, grouped acks with batch-index tracking, negative acks, seek, and
// resubscribing after a disconnect.
import { ackSetHas, BatchAckTracker } from './batch-ack-tracker.ts';
import { decompress, isCompressionSupported } from './compression/index.ts';
import type { Connection, ConsumerListener } from './connection.ts';
import { ConnectionHandler, type ClientContext } from './connection-handler.ts';
import { AlreadyClosedError, PulsarError } from './errors.ts';
import type { Message } from './message.ts';
import { MessageId } from './message-id.ts';
import { decodeBatch } from './protocol/batch.ts';
import {
  AckType,
  CommandType,
  CompressionType,
  InitialPosition,
  KeySharedMode,
  SubType,
  type KeyValue,
  type MessageIdData,
  type MessageMetadata,
} from './protocol/commands.ts';
import { DEFAULT_MAX_MESSAGE_SIZE, type Frame } from './protocol/frame.ts';

export interface PartitionConsumerConfig {
  topic: string;
  partition: number;
  subscription: string;
  subType: SubType;
  initialPosition: InitialPosition;
  receiverQueueSize: number;
  consumerName: string | undefined;
  priorityLevel: number | undefined;
  durable: boolean;
  /** Readers: where to start; messages before it are dropped client-side. */
  startMessageId: MessageId | undefined;
  startMessageIdInclusive: boolean;
  readCompacted: boolean;
  ackGroupTimeMs: number;
  /** Acks of part of a batch go to the broker with an ack_set (else held until it completes). */
  batchIndexAck: boolean;
  nackRedeliveryDelayMs: number;
  /** What to do with an entry that cannot be decoded (see ConsumerOptions). */
  corruptMessages: 'discard' | 'deliver';
  /** Hands a message to the shared receive queue. */
  deliver(msg: Message, from: PartitionConsumer): void;
  /** Removes this consumer's messages from the shared queue; returns how many. */
  purge(from: PartitionConsumer): number;
  onActiveChange(topic: string, partition: number, active: boolean): void;
  onEndOfTopic(topic: string): void;
}

/**
 * A cumulative ack waiting for the flush: up to and including `id`'s entry, or, with `ackSet`,
 * up to the entry before it plus the messages of its batch the set leaves out.
 */
interface CumulativeAck {
  id: MessageId;
  ackSet?: bigint[];
  /** The batch index acknowledged up to when partial (for ordering two partial acks). */
  upToIndex: number;
}

function cumulativeIsBefore(a: CumulativeAck, b: CumulativeAck): boolean {
  const byEntry = a.id.entry().compare(b.id.entry());
  return byEntry !== 0 ? byEntry < 0 : a.upToIndex < b.upToIndex;
}

/** Messages before `id` (or at it, when exclusive) are dropped: reader starts and seeks. */
interface StartFilter {
  id: MessageId;
  inclusive: boolean;
}

function isBefore(m: MessageId, f: StartFilter): boolean {
  if (m.ledgerId !== f.id.ledgerId) return m.ledgerId < f.id.ledgerId;
  if (m.entryId !== f.id.entryId) return m.entryId < f.id.entryId;
  if (m.batchIndex >= 0 && f.id.batchIndex >= 0) {
    return f.inclusive ? m.batchIndex < f.id.batchIndex : m.batchIndex <= f.id.batchIndex;
  }
  // Same entry: a whole-entry start excludes the entry only when exclusive.
  return !f.inclusive && f.id.batchIndex < 0;
}

function propertiesOf(list: KeyValue[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (list) for (const { key, value } of list) out[key] = value;
  return out;
}

const EARLIEST_LEDGER = -1n;
const VALIDATION_DECOMPRESSION_ERROR = 1;
const VALIDATION_CHECKSUM_MISMATCH = 2;
const VALIDATION_BATCH_DESERIALIZE_ERROR = 3;
/** How fast the messages-per-entry figure forgets a large entry (per entry received). */
const PER_ENTRY_DECAY = 0.05;

export class PartitionConsumer {
  readonly topic: string;
  readonly partition: number;
  readonly consumerId: bigint;
  private readonly handler: ConnectionHandler;
  private readonly tracker = new BatchAckTracker();
  private ready = false;
  private closed = false;
  private seeking = false;
  /**
   * Our copy of the broker's permit count for this consumer: what we granted minus what it
   * charged for the messages it sent (it goes negative after a burst of batched entries).
   */
  private brokerPermits = 0;
  /** Messages of this partition waiting in the application's receive queue. */
  private queued = 0;
  /**
   * Messages per entry (1 on unbatched topics), to size FLOWs in entries: jumps up to a larger
   * entry at once, decays slowly, so a burst of big batches never overfills the queue.
   * Undefined until the first entry: the first FLOW asks for one entry only.
   */
  private perEntry: number | undefined;
  private filter: StartFilter | undefined;
  private lastDequeued: MessageId | undefined;
  private pendingAcks: MessageIdData[] = [];
  /** Batched entries partly acknowledged since the last flush (batch-index acks). */
  private readonly partialAcks = new Map<string, { ledgerId: bigint; entryId: bigint }>();
  private pendingCumulative: CumulativeAck | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private readonly nacks = new Map<string, MessageIdData>();
  private nackTimer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly client: ClientContext,
    private readonly config: PartitionConsumerConfig,
  ) {
    this.topic = config.topic;
    this.partition = config.partition;
    this.consumerId = client.newConsumerId();
    if (config.startMessageId) {
      this.filter = { id: config.startMessageId, inclusive: config.startMessageIdInclusive };
    }
    this.handler = new ConnectionHandler(client, {
      topic: this.topic,
      attach: (cnx) => this.attach(cnx),
      onDetached: () => this.onDetached(),
      onFatal: (err) => {
        this.failure = err;
        client.logger.warn('consumer stopped reconnecting', {
          topic: this.topic,
          error: err.message,
        });
      },
    });
  }

  start(): Promise<void> {
    return this.handler.connectFirst();
  }

  /** Attached to a broker connection now (false while reconnecting). */
  get connected(): boolean {
    return this.ready && this.handler.connected;
  }

  private listener(): ConsumerListener {
    return {
      onMessage: (frame) => this.onMessage(frame),
      onActiveChange: (active) => this.config.onActiveChange(this.topic, this.partition, active),
      onReachedEndOfTopic: () => this.config.onEndOfTopic(this.topic),
      onDisconnected: (reason) => this.handler.disconnected(reason),
    };
  }

  /** Where a non-durable subscription (reader) resumes: after the last message handed out. */
  private startPosition(): MessageIdData | undefined {
    if (this.config.durable) return undefined;
    const from = this.lastDequeued ?? this.filter?.id;
    if (!from) return undefined;
    if (this.lastDequeued) this.filter = { id: this.lastDequeued, inclusive: false };
    if (from.ledgerId < 0 || from.compare(MessageId.latest) >= 0) {
      return { ledgerId: from.ledgerId, entryId: from.entryId };
    }
    // With a batch index the broker starts at the entry itself; the filter drops what came
    // before the start (this also covers brokers that start after a plain entry id).
    return {
      ledgerId: from.ledgerId,
      entryId: from.entryId,
      batch_index: Math.max(from.batchIndex, 0),
    };
  }

  private async attach(cnx: Connection): Promise<void> {
    cnx.addConsumer(this.consumerId, this.listener());
    const c = this.config;
    const start = this.startPosition();
    const initialPosition =
      start && start.ledgerId === EARLIEST_LEDGER ? InitialPosition.Earliest : c.initialPosition;
    try {
      await cnx.request(
        (request_id) => ({
          type: CommandType.SUBSCRIBE,
          subscribe: {
            topic: this.topic,
            subscription: c.subscription,
            subType: c.subType,
            consumer_id: this.consumerId,
            request_id,
            ...(c.consumerName !== undefined ? { consumer_name: c.consumerName } : {}),
            ...(c.priorityLevel !== undefined ? { priority_level: c.priorityLevel } : {}),
            durable: c.durable,
            ...(start ? { start_message_id: start } : {}),
            read_compacted: c.readCompacted,
            initialPosition,
            ...(c.subType === SubType.Key_Shared
              ? { keySharedMeta: { keySharedMode: KeySharedMode.AUTO_SPLIT } }
              : {}),
          },
        }),
        `subscribe ${c.subscription} on ${this.topic}`,
      );
    } catch (err) {
      cnx.removeConsumer(this.consumerId);
      throw err;
    }
    this.ready = true;
    this.seeking = false;
    // A new broker-side consumer starts with no permits and the queue was purged on detach.
    this.brokerPermits = 0;
    this.queued = 0;
    this.refill(cnx);
    this.flushAcks();
  }

  private onDetached(): void {
    this.ready = false;
    // Queued messages will be redelivered (durable) or re-read from lastDequeued (reader).
    this.config.purge(this);
    this.queued = 0;
  }

  private sendFlow(cnx: Connection, permits: number): void {
    if (permits <= 0) return;
    cnx.send({
      type: CommandType.FLOW,
      flow: { consumer_id: this.consumerId, messagePermits: permits },
    });
  }

  /**
   * Grants permits so that about receiverQueueSize *messages* are queued or on the way. The
   * broker charges one permit per message but, while it has any, reads and sends one entry
   * per permit: with batches of B messages, N permits bring up to N·B messages. So we count
   * what is promised as queued + permits × messages per entry and grant in entries, against
   * our copy of the broker's count:
   * - once the promise is down to half the queue (FLOWs go out in halves, as in other clients);
   * - when the broker has no permit left while a whole entry still fits, so a queue parked
   *   between half and full never leaves messages waiting at the broker.
   * The queue can overshoot by at most one entry.
   */
  private refill(cnx: Connection | undefined = this.handler.cnx): void {
    if (!this.ready || !cnx) return;
    const bp = this.brokerPermits;
    const per = this.perEntry;
    if (per === undefined) {
      // No entry seen yet: ask for one, and learn its size before asking for more.
      if (bp <= 0) this.grant(cnx, 1 - bp);
      return;
    }
    const size = this.config.receiverQueueSize;
    const promised = this.queued + Math.max(0, bp) * per;
    const halfEmpty = promised <= size / 2;
    const starved = bp <= 0 && this.queued + per <= size;
    if (!halfEmpty && !starved) return;
    const entries = Math.max(1, Math.ceil((size - promised) / per));
    this.grant(cnx, bp < 0 ? entries - bp : entries);
  }

  /** Queued messages from which this partition fetches no more until some are taken. */
  get fullAt(): number {
    return Math.max(1, this.config.receiverQueueSize - Math.ceil(this.perEntry ?? 1) + 1);
  }

  private grant(cnx: Connection, permits: number): void {
    this.brokerPermits += permits;
    this.sendFlow(cnx, permits);
  }

  /** The broker sent an entry of `count` messages, `acked` of them already acknowledged. */
  private charged(count: number, acked: number): void {
    this.brokerPermits -= count - acked;
    this.perEntry = Math.max(count, (this.perEntry ?? count) * (1 - PER_ENTRY_DECAY));
  }

  /** The shared queue handed `msg` to the application. */
  dequeued(msg: Message): void {
    this.lastDequeued = msg.messageId;
    this.queued--;
    this.refill();
  }

  private deliver(msg: Message): void {
    this.queued++;
    this.config.deliver(msg, this);
  }

  private discard(id: MessageIdData, validationError: number, why: string): void {
    this.client.logger.warn('discarding a corrupt message', {
      topic: this.topic,
      entry: `${id.ledgerId}:${id.entryId}`,
      why,
    });
    this.handler.cnx?.send({
      type: CommandType.ACK,
      ack: {
        consumer_id: this.consumerId,
        ack_type: AckType.Individual,
        message_id: [{ ledgerId: id.ledgerId, entryId: id.entryId }],
        validation_error: validationError,
      },
    });
    this.refill();
  }

  /**
   * An entry that cannot be decoded: discarded (acked with the validation error), or with
   * corruptMessages 'deliver' handed over whole, raw bytes and `decodeError`, for the
   * application to dead-letter. Either way the partition moves on.
   */
  private corrupt(frame: Frame, validationError: number, why: string): void {
    const cmd = frame.command.message!;
    if (this.config.corruptMessages === 'discard') {
      return this.discard(cmd.message_id, validationError, why);
    }
    const metadata = frame.metadata as MessageMetadata;
    // The whole entry as one message: acking it acks every message the batch held.
    const { ledgerId, entryId } = cmd.message_id;
    const messageId = MessageId.fromData({ ledgerId, entryId }, this.partition);
    if (this.filter && isBefore(messageId, this.filter)) return this.refill();
    this.client.logger.warn('delivering an undecodable message for dead-lettering', {
      topic: this.topic,
      entry: `${messageId.ledgerId}:${messageId.entryId}`,
      why,
    });
    this.deliver({
      topic: this.topic,
      payload: frame.payload ?? Buffer.alloc(0),
      key: metadata.partition_key,
      properties: propertiesOf(metadata.properties),
      eventTime: metadata.event_time ? Number(metadata.event_time) : undefined,
      publishTime: Number(metadata.publish_time),
      messageId,
      redeliveryCount: cmd.redelivery_count ?? 0,
      producerName: metadata.producer_name,
      sequenceId: metadata.sequence_id,
      orderingKey: metadata.ordering_key,
      ...(metadata.schema_version?.length ? { schemaVersion: metadata.schema_version } : {}),
      decodeError: why,
    });
    this.refill();
  }

  private onMessage(frame: Frame): void {
    const cmd = frame.command.message!;
    const metadata = frame.metadata as MessageMetadata;
    const idData = cmd.message_id;
    const batchSize = metadata.num_messages_in_batch;
    const count = batchSize ?? 1;
    const ackSet = cmd.ack_set ?? [];
    // Where the ack set lists the unacknowledged indexes, the rest were charged as acked.
    const acked = (i: number): boolean => ackSet.length > 0 && !ackSetHas(ackSet, i);
    let ackedCount = 0;
    if (ackSet.length > 0) for (let i = 0; i < count; i++) if (acked(i)) ackedCount++;
    this.charged(count, ackedCount);
    if (!this.ready || this.seeking || this.closed) return;
    if (frame.checksumOk === false) {
      return this.corrupt(frame, VALIDATION_CHECKSUM_MISMATCH, 'checksum mismatch');
    }
    let payload = frame.payload ?? Buffer.alloc(0);
    const compression = metadata.compression ?? CompressionType.NONE;
    if (compression !== CompressionType.NONE) {
      if (!isCompressionSupported(compression)) {
        if (this.config.corruptMessages === 'deliver') {
          const why = `unknown compression type ${String(compression)}`;
          return this.corrupt(frame, VALIDATION_DECOMPRESSION_ERROR, why);
        }
        // Not corrupt, just undecodable here: leave it unacked (it stays in the backlog).
        this.client.logger.warn('skipping a message in a codec this client cannot decode', {
          topic: this.topic,
          compression: CompressionType[compression],
        });
        return this.refill();
      }
      try {
        const limit = this.handler.cnx?.maxIncomingSize ?? DEFAULT_MAX_MESSAGE_SIZE;
        payload = decompress(compression, payload, metadata.uncompressed_size ?? 0, limit);
      } catch (err) {
        return this.corrupt(frame, VALIDATION_DECOMPRESSION_ERROR, String(err));
      }
    }
    const base = MessageId.fromData(idData, this.partition);
    const redeliveryCount = cmd.redelivery_count ?? 0;
    const publishTime = Number(metadata.publish_time);
    if (batchSize === undefined) {
      const messageId = base;
      if (this.filter && isBefore(messageId, this.filter)) return this.refill();
      this.deliver({
        topic: this.topic,
        payload,
        key: metadata.partition_key,
        properties: propertiesOf(metadata.properties),
        eventTime: metadata.event_time ? Number(metadata.event_time) : undefined,
        publishTime,
        messageId,
        redeliveryCount,
        producerName: metadata.producer_name,
        sequenceId: metadata.sequence_id,
        orderingKey: metadata.ordering_key,
        ...(metadata.schema_version?.length ? { schemaVersion: metadata.schema_version } : {}),
      });
      this.refill();
      return;
    }
    let items;
    try {
      items = decodeBatch(payload, batchSize);
    } catch (err) {
      return this.corrupt(frame, VALIDATION_BATCH_DESERIALIZE_ERROR, String(err));
    }
    this.tracker.register(base.ledgerId, base.entryId, batchSize, acked);
    items.forEach((item, i) => {
      const messageId = new MessageId(base.ledgerId, base.entryId, this.partition, i, batchSize);
      // Dropped here: charged on arrival like the rest, but never queued, so they take no room.
      if (acked(i) || item.compactedOut || (this.filter && isBefore(messageId, this.filter))) {
        return;
      }
      this.deliver({
        topic: this.topic,
        payload: item.payload,
        key: item.partitionKey,
        properties: item.properties,
        eventTime: item.eventTime,
        publishTime,
        messageId,
        redeliveryCount,
        producerName: metadata.producer_name,
        sequenceId: item.sequenceId ?? metadata.sequence_id + BigInt(i),
        orderingKey: item.orderingKey,
        ...(metadata.schema_version?.length ? { schemaVersion: metadata.schema_version } : {}),
      });
    });
    // Also while the application waits for a fuller batch: keep the queue topped up.
    this.refill();
  }

  // ---- acknowledgements ------------------------------------------------------------------

  /**
   * Acks are grouped (ackGroupTimeMs) and written together; the caller does not wait for
   * the write. A plain ACK has no broker reply, so an ack lost with a connection means the
   * message is redelivered (at-least-once).
   */
  private scheduleAckFlush(): Promise<void> {
    const grouped = this.pendingAcks.length + this.partialAcks.size;
    if (grouped >= 1000 || this.config.ackGroupTimeMs <= 0) {
      this.flushAcks();
    } else if (!this.ackTimer) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = undefined;
        this.flushAcks();
      }, this.config.ackGroupTimeMs);
    }
    return Promise.resolve();
  }

  /** Writes grouped acks; kept for after the reconnect when the connection is down. */
  flushAcks(): void {
    if (this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    const cnx = this.handler.cnx;
    if (!this.ready || !cnx || cnx.closed) return;
    const individual = this.pendingAcks;
    for (const { ledgerId, entryId } of this.partialAcks.values()) {
      // What is still unacknowledged now (gone when the entry completed or was forgotten).
      const ackSet = this.tracker.unackedSet(ledgerId, entryId);
      if (ackSet) individual.push({ ledgerId, entryId, ack_set: ackSet });
    }
    this.partialAcks.clear();
    this.pendingAcks = [];
    if (individual.length > 0) {
      cnx.send({
        type: CommandType.ACK,
        ack: { consumer_id: this.consumerId, ack_type: AckType.Individual, message_id: individual },
      });
    }
    if (this.pendingCumulative) {
      const { id, ackSet } = this.pendingCumulative;
      this.pendingCumulative = undefined;
      cnx.send({
        type: CommandType.ACK,
        ack: {
          consumer_id: this.consumerId,
          ack_type: AckType.Cumulative,
          message_id: [{ ledgerId: id.ledgerId, entryId: id.entryId, ack_set: ackSet }],
        },
      });
    }
  }

  ack(id: MessageId): Promise<void> {
    if (this.closed) return Promise.reject(new AlreadyClosedError(`consumer on ${this.topic}`));
    if (id.batchIndex >= 0 && id.batchSize > 1) {
      const key = `${id.ledgerId}:${id.entryId}`;
      if (!this.tracker.ack(id.ledgerId, id.entryId, id.batchIndex, id.batchSize)) {
        if (!this.config.batchIndexAck) return Promise.resolve();
        this.partialAcks.set(key, { ledgerId: id.ledgerId, entryId: id.entryId });
        return this.scheduleAckFlush();
      }
      this.partialAcks.delete(key);
    }
    this.pendingAcks.push({ ledgerId: id.ledgerId, entryId: id.entryId });
    return this.scheduleAckFlush();
  }

  ackCumulative(id: MessageId): Promise<void> {
    if (this.closed) return Promise.reject(new AlreadyClosedError(`consumer on ${this.topic}`));
    if (this.config.subType === SubType.Shared || this.config.subType === SubType.Key_Shared) {
      return Promise.reject(
        new PulsarError('cumulative ack is not allowed on Shared/Key_Shared subscriptions'),
      );
    }
    let ack: CumulativeAck | undefined = { id: id.entry(), upToIndex: Infinity };
    if (id.batchIndex >= 0 && id.batchIndex < id.batchSize - 1) {
      // Part of a batch: the entry itself is acked once its remaining messages are; until
      // then, the entry before it, or with batch-index acks this entry with an ack_set.
      const done = this.tracker.ackUpTo(id.ledgerId, id.entryId, id.batchIndex, id.batchSize);
      const before = new MessageId(id.ledgerId, id.entryId - 1n, id.partition);
      if (!done) {
        this.tracker.forgetUpTo(before.ledgerId, before.entryId);
        const ackSet = this.config.batchIndexAck
          ? this.tracker.unackedSet(id.ledgerId, id.entryId)
          : undefined;
        ack = ackSet
          ? { id: id.entry(), ackSet, upToIndex: id.batchIndex }
          : id.entryId > 0n
            ? { id: before, upToIndex: Infinity }
            : undefined;
      }
    }
    if (!ack) return Promise.resolve();
    if (ack.ackSet === undefined) this.tracker.forgetUpTo(ack.id.ledgerId, ack.id.entryId);
    if (!this.pendingCumulative || cumulativeIsBefore(this.pendingCumulative, ack)) {
      this.pendingCumulative = ack;
    }
    return this.scheduleAckFlush();
  }

  negativeAck(id: MessageId): void {
    if (this.closed) return;
    this.nacks.set(`${id.ledgerId}:${id.entryId}`, { ledgerId: id.ledgerId, entryId: id.entryId });
    if (!this.nackTimer) {
      this.nackTimer = setTimeout(() => {
        this.nackTimer = undefined;
        this.redeliverNacked();
      }, this.config.nackRedeliveryDelayMs);
    }
  }

  private redeliverNacked(): void {
    const ids = [...this.nacks.values()];
    this.nacks.clear();
    if (ids.length === 0) return;
    const shared =
      this.config.subType === SubType.Shared || this.config.subType === SubType.Key_Shared;
    // Exclusive/Failover brokers can only rewind the whole subscription, to keep order.
    if (!shared) return this.redeliverUnacknowledged();
    const cnx = this.handler.cnx;
    if (!this.ready || !cnx) return;
    cnx.send({
      type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
      redeliverUnacknowledgedMessages: { consumer_id: this.consumerId, message_ids: ids },
    });
  }

  /** Asks the broker to redeliver every unacknowledged message; drops what is queued here. */
  redeliverUnacknowledged(): void {
    const cnx = this.handler.cnx;
    if (!this.ready || !cnx) return;
    cnx.send({
      type: CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES,
      redeliverUnacknowledgedMessages: { consumer_id: this.consumerId, message_ids: [] },
    });
    // The broker sends them all again, charging again: give back room for what we drop.
    this.config.purge(this);
    this.queued = 0;
    this.refill();
  }

  // ---- positioning -----------------------------------------------------------------------

  async seek(target: MessageId | number): Promise<void> {
    const cnx = this.handler.cnx;
    if (!this.ready || !cnx) {
      throw new PulsarError(`seek on ${this.topic}: not connected; retry shortly`, {
        retryable: true,
      });
    }
    this.seeking = true;
    try {
      await cnx.request(
        (request_id) => ({
          type: CommandType.SEEK,
          seek:
            typeof target === 'number'
              ? { consumer_id: this.consumerId, request_id, message_publish_time: BigInt(target) }
              : {
                  consumer_id: this.consumerId,
                  request_id,
                  message_id: { ledgerId: target.ledgerId, entryId: target.entryId },
                },
        }),
        `seek on ${this.topic}`,
      );
    } catch (err) {
      this.seeking = false;
      throw err;
    }
    // The broker now disconnects the consumer; we resubscribe from the new position.
    this.config.purge(this);
    this.tracker.clear();
    this.pendingAcks = [];
    this.partialAcks.clear();
    this.pendingCumulative = undefined;
    this.nacks.clear();
    this.lastDequeued = undefined;
    this.filter = typeof target === 'number' ? undefined : { id: target, inclusive: true };
  }

  async getLastMessageId(): Promise<MessageId> {
    const cnx = this.handler.cnx;
    if (!this.ready || !cnx) {
      throw new PulsarError(`getLastMessageId on ${this.topic}: not connected; retry shortly`, {
        retryable: true,
      });
    }
    const res = await cnx.request(
      (request_id) => ({
        type: CommandType.GET_LAST_MESSAGE_ID,
        getLastMessageId: { consumer_id: this.consumerId, request_id },
      }),
      `last message id of ${this.topic}`,
    );
    return MessageId.fromData(res.getLastMessageIdResponse!.last_message_id, this.partition);
  }

  get lastDequeuedId(): MessageId | undefined {
    return this.lastDequeued;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  async unsubscribe(): Promise<void> {
    const cnx = this.handler.cnx;
    if (!cnx) throw new PulsarError(`unsubscribe on ${this.topic}: not connected`);
    await cnx.request(
      (request_id) => ({
        type: CommandType.UNSUBSCRIBE,
        unsubscribe: { consumer_id: this.consumerId, request_id },
      }),
      `unsubscribe from ${this.topic}`,
    );
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushAcks();
    this.closed = true;
    if (this.nackTimer) clearTimeout(this.nackTimer);
    this.handler.close();
    const cnx = this.handler.cnx;
    this.ready = false;
    if (cnx && !cnx.closed) {
      cnx.removeConsumer(this.consumerId);
      await cnx
        .request(
          (request_id) => ({
            type: CommandType.CLOSE_CONSUMER,
            close_consumer: { consumer_id: this.consumerId, request_id },
          }),
          `close consumer on ${this.topic}`,
        )
        .catch(() => undefined);
    }
  }
}
