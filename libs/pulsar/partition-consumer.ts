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
import type { Frame } from './protocol/frame.ts';

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
  nackRedeliveryDelayMs: number;
  /** Hands a message to the shared receive queue. */
  deliver(msg: Message, from: PartitionConsumer): void;
  /** Removes this consumer's messages from the shared queue; returns how many. */
  purge(from: PartitionConsumer): number;
  onActiveChange(topic: string, partition: number, active: boolean): void;
  onEndOfTopic(topic: string): void;
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

export class PartitionConsumer {
  readonly topic: string;
  readonly partition: number;
  readonly consumerId: bigint;
  private readonly handler: ConnectionHandler;
  private readonly tracker = new BatchAckTracker();
  private ready = false;
  private closed = false;
  private seeking = false;
  private permits = 0;
  private filter: StartFilter | undefined;
  private lastDequeued: MessageId | undefined;
  private pendingAcks: MessageIdData[] = [];
  private pendingCumulative: MessageId | undefined;
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
    this.permits = 0;
    this.sendFlow(cnx, c.receiverQueueSize);
    this.flushAcks();
  }

  private onDetached(): void {
    this.ready = false;
    // Queued messages will be redelivered (durable) or re-read from lastDequeued (reader).
    this.config.purge(this);
  }

  private sendFlow(cnx: Connection, permits: number): void {
    if (permits <= 0) return;
    cnx.send({
      type: CommandType.FLOW,
      flow: { consumer_id: this.consumerId, messagePermits: permits },
    });
  }

  /** One permit per message the application took (or we dropped); re-granted in halves. */
  addPermits(n: number): void {
    this.permits += n;
    const cnx = this.handler.cnx;
    if (!this.ready || !cnx) return;
    if (this.permits >= Math.max(1, Math.floor(this.config.receiverQueueSize / 2))) {
      const grant = this.permits;
      this.permits = 0;
      this.sendFlow(cnx, grant);
    }
  }

  /** The shared queue handed `msg` to the application. */
  dequeued(msg: Message): void {
    this.lastDequeued = msg.messageId;
    this.addPermits(1);
  }

  private discard(id: MessageIdData, validationError: number, count: number, why: string): void {
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
    this.addPermits(count);
  }

  private onMessage(frame: Frame): void {
    if (!this.ready || this.seeking || this.closed) return;
    const cmd = frame.command.message!;
    const metadata = frame.metadata as MessageMetadata;
    const idData = cmd.message_id;
    const batchSize = metadata.num_messages_in_batch;
    const count = batchSize ?? 1;
    if (frame.checksumOk === false) {
      return this.discard(idData, VALIDATION_CHECKSUM_MISMATCH, count, 'checksum mismatch');
    }
    let payload = frame.payload ?? Buffer.alloc(0);
    const compression = metadata.compression ?? CompressionType.NONE;
    if (compression !== CompressionType.NONE) {
      if (!isCompressionSupported(compression)) {
        // Not corrupt, just undecodable here: leave it unacked (it stays in the backlog).
        this.client.logger.warn('skipping a message in a codec this Node cannot decode', {
          topic: this.topic,
          compression: CompressionType[compression],
        });
        return this.addPermits(count);
      }
      try {
        payload = decompress(compression, payload, metadata.uncompressed_size ?? 0);
      } catch (err) {
        return this.discard(idData, VALIDATION_DECOMPRESSION_ERROR, count, String(err));
      }
    }
    const base = MessageId.fromData(idData, this.partition);
    const redeliveryCount = cmd.redelivery_count ?? 0;
    const publishTime = Number(metadata.publish_time);
    if (batchSize === undefined) {
      const messageId = base;
      if (this.filter && isBefore(messageId, this.filter)) return this.addPermits(1);
      this.config.deliver(
        {
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
        },
        this,
      );
      return;
    }
    let items;
    try {
      items = decodeBatch(payload, batchSize);
    } catch (err) {
      return this.discard(idData, VALIDATION_BATCH_DESERIALIZE_ERROR, count, String(err));
    }
    const ackSet = cmd.ack_set ?? [];
    const acked = (i: number): boolean => ackSet.length > 0 && !ackSetHas(ackSet, i);
    this.tracker.register(base.ledgerId, base.entryId, batchSize, acked);
    let dropped = 0;
    items.forEach((item, i) => {
      const messageId = new MessageId(base.ledgerId, base.entryId, this.partition, i, batchSize);
      const m = item.metadata;
      if (acked(i) || m.compacted_out || (this.filter && isBefore(messageId, this.filter))) {
        dropped++;
        return;
      }
      this.config.deliver(
        {
          topic: this.topic,
          payload: item.payload,
          key: m.partition_key,
          properties: propertiesOf(m.properties),
          eventTime: m.event_time ? Number(m.event_time) : undefined,
          publishTime,
          messageId,
          redeliveryCount,
          producerName: metadata.producer_name,
          sequenceId: m.sequence_id ?? metadata.sequence_id + BigInt(i),
          orderingKey: m.ordering_key,
        },
        this,
      );
    });
    if (dropped > 0) this.addPermits(dropped);
  }

  // ---- acknowledgements ------------------------------------------------------------------

  /**
   * Acks are grouped (ackGroupTimeMs) and written together; the caller does not wait for
   * the write. A plain ACK has no broker reply, so an ack lost with a connection means the
   * message is redelivered (at-least-once).
   */
  private scheduleAckFlush(): Promise<void> {
    if (this.pendingAcks.length >= 1000 || this.config.ackGroupTimeMs <= 0) {
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
    if (this.pendingAcks.length > 0) {
      cnx.send({
        type: CommandType.ACK,
        ack: {
          consumer_id: this.consumerId,
          ack_type: AckType.Individual,
          message_id: this.pendingAcks,
        },
      });
      this.pendingAcks = [];
    }
    if (this.pendingCumulative) {
      const id = this.pendingCumulative;
      this.pendingCumulative = undefined;
      cnx.send({
        type: CommandType.ACK,
        ack: {
          consumer_id: this.consumerId,
          ack_type: AckType.Cumulative,
          message_id: [{ ledgerId: id.ledgerId, entryId: id.entryId }],
        },
      });
    }
  }

  ack(id: MessageId): Promise<void> {
    if (this.closed) return Promise.reject(new AlreadyClosedError(`consumer on ${this.topic}`));
    if (id.batchIndex >= 0 && id.batchSize > 1) {
      if (!this.tracker.ack(id.ledgerId, id.entryId, id.batchIndex, id.batchSize)) {
        return Promise.resolve();
      }
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
    let upTo: MessageId | undefined = id.entry();
    if (id.batchIndex >= 0 && id.batchIndex < id.batchSize - 1) {
      // Part of a batch: the entry itself is acked once its remaining messages are.
      const done = this.tracker.ackUpTo(id.ledgerId, id.entryId, id.batchIndex, id.batchSize);
      upTo = done
        ? id.entry()
        : id.entryId > 0n
          ? new MessageId(id.ledgerId, id.entryId - 1n, id.partition)
          : undefined;
    }
    if (!upTo) return Promise.resolve();
    this.tracker.forgetUpTo(upTo.ledgerId, upTo.entryId);
    if (!this.pendingCumulative || this.pendingCumulative.compare(upTo) < 0) {
      this.pendingCumulative = upTo;
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
    const purged = this.config.purge(this);
    this.addPermits(purged);
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
