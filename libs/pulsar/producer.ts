// A producer on one topic or one partition: batching (optionally one batch per key),
// compression, sequence ids, the in-flight queue matched against SEND_RECEIPTs, send
// timeouts, and resending pending frames in order after a reconnect.
import { compress } from './compression/index.ts';
import type { Connection, ProducerListener } from './connection.ts';
import { ConnectionHandler, type ClientContext } from './connection-handler.ts';
import { deferred, type Deferred } from './deferred.ts';
import { Fifo } from './fifo.ts';
import { AlreadyClosedError, MessageTooLargeError, PulsarError, TimeoutError } from './errors.ts';
import { MessageId } from './message-id.ts';
import { encodeBatch, encodeBatchItem } from './protocol/batch.ts';
import {
  CommandType,
  CompressionType,
  ProducerAccessMode,
  ServerError,
  type BaseCommand,
  type KeyValue,
  type MessageMetadata,
} from './protocol/commands.ts';
import { encodePayloadCommand } from './protocol/frame.ts';

export interface ProducerMessage {
  payload: Buffer;
  /** Partition key: routes the message (key-hash routing) and is what Key_Shared groups by. */
  key?: string;
  properties?: Record<string, string>;
  /** Application event time, ms since the epoch. */
  eventTime?: number | Date;
  orderingKey?: Buffer;
}

export interface BatchingConfig {
  maxMessages: number;
  maxBytes: number;
  maxDelayMs: number;
  /** One batch per key, so every batch holds a single key (what Key_Shared needs). */
  keyBased: boolean;
}

export interface PartitionProducerConfig {
  topic: string;
  partition: number;
  producerName: string | undefined;
  batching: BatchingConfig | undefined;
  compression: CompressionType;
  sendTimeoutMs: number;
  accessMode: ProducerAccessMode;
  properties: Record<string, string>;
  /** Called with the number of messages whose sends finished (either way). */
  onSettled(count: number): void;
}

interface QueuedMessage {
  msg: ProducerMessage;
  result: Deferred<MessageId>;
}

/** An open batch: messages and their results side by side (no per-message wrapper). */
interface OpenBatch {
  msgs: ProducerMessage[];
  results: Deferred<MessageId>[];
}

interface InFlight {
  sequenceId: bigint;
  highestSequenceId: bigint;
  frame: Buffer;
  results: Deferred<MessageId>[];
  batched: boolean;
  createdAt: number;
}

const MAX_SAFE_SEQUENCE_ID = BigInt(Number.MAX_SAFE_INTEGER);

function toKeyValues(props: Record<string, string> | undefined): KeyValue[] {
  if (!props) return [];
  return Object.entries(props).map(([key, value]) => ({ key, value: String(value) }));
}

function eventTimeOf(msg: ProducerMessage): bigint | undefined {
  if (msg.eventTime === undefined) return undefined;
  const ms = msg.eventTime instanceof Date ? msg.eventTime.getTime() : msg.eventTime;
  return ms > 0 ? BigInt(Math.floor(ms)) : undefined;
}

export class PartitionProducer {
  readonly topic: string;
  readonly partition: number;
  producerName: string | undefined;
  private readonly producerId: bigint;
  private readonly handler: ConnectionHandler;
  private readonly pending = new Fifo<InFlight>();
  private readonly batches = new Map<string, OpenBatch>();
  private batchBytes = 0;
  private batchCount = 0;
  private batchTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private nextSequenceId = 0n;
  private firstAttach = true;
  /** True between PRODUCER_SUCCESS and the next disconnect: only then are frames written. */
  private ready = false;
  private closed = false;
  private failure: Error | undefined;
  private maxMessageSize = 5 * 1024 * 1024;

  constructor(
    private readonly client: ClientContext,
    private readonly config: PartitionProducerConfig,
  ) {
    this.topic = config.topic;
    this.partition = config.partition;
    this.producerName = config.producerName;
    this.producerId = client.newProducerId();
    this.handler = new ConnectionHandler(client, {
      topic: this.topic,
      attach: (cnx) => this.attach(cnx),
      onDetached: () => {
        this.ready = false;
      },
      onFatal: (err) => this.fail(err),
    });
  }

  /** Attached to a broker connection now (false while reconnecting). */
  get connected(): boolean {
    return this.ready && this.handler.connected;
  }

  async start(): Promise<void> {
    await this.handler.connectFirst();
    if (this.config.sendTimeoutMs > 0) {
      const every = Math.min(1000, this.config.sendTimeoutMs);
      this.timeoutTimer = setInterval(() => this.expireTimedOut(), every);
      this.timeoutTimer.unref();
    }
  }

  private listener(): ProducerListener {
    return {
      onSendReceipt: (cmd) => this.onReceipt(cmd),
      onSendError: (cmd) => this.onSendError(cmd),
      onDisconnected: (reason) => this.handler.disconnected(reason),
    };
  }

  private async attach(cnx: Connection): Promise<void> {
    cnx.addProducer(this.producerId, this.listener());
    let res: BaseCommand;
    try {
      res = await cnx.request(
        (request_id) => ({
          type: CommandType.PRODUCER,
          producer: {
            topic: this.topic,
            producer_id: this.producerId,
            request_id,
            ...(this.producerName !== undefined ? { producer_name: this.producerName } : {}),
            user_provided_producer_name: this.config.producerName !== undefined,
            producer_access_mode: this.config.accessMode,
            metadata: toKeyValues(this.config.properties),
          },
        }),
        `create producer on ${this.topic}`,
      );
    } catch (err) {
      cnx.removeProducer(this.producerId);
      throw err;
    }
    const ok = res.producer_success!;
    this.producerName = ok.producer_name;
    this.maxMessageSize = cnx.maxMessageSize;
    const last = ok.last_sequence_id ?? -1n;
    if (this.firstAttach) {
      this.firstAttach = false;
      if (last + 1n > this.nextSequenceId) this.nextSequenceId = last + 1n;
    }
    // Resend everything not yet acknowledged, in order, with the original sequence ids;
    // with broker deduplication on, the ones already persisted are dropped as duplicates.
    for (const op of this.pending.toArray()) cnx.write(op.frame);
    this.ready = true;
  }

  /** Queues one message; resolves with its id once the broker has persisted it. */
  send(msg: ProducerMessage): Promise<MessageId> {
    if (this.closed || this.failure) {
      this.config.onSettled(1);
      return Promise.reject(this.failure ?? new AlreadyClosedError(`producer on ${this.topic}`));
    }
    const size = msg.payload.length;
    if (size > this.maxMessageSize) {
      this.config.onSettled(1);
      return Promise.reject(new MessageTooLargeError(size, this.maxMessageSize));
    }
    const result = deferred<MessageId>();
    const batching = this.config.batching;
    if (!batching) {
      this.enqueue(this.buildSingle({ msg, result }));
      return result.promise;
    }
    const groupKey = batching.keyBased ? (msg.key ?? '') : '';
    // Keep a batch under the broker's frame limit.
    const limit = Math.min(batching.maxBytes, this.maxMessageSize - 64 * 1024);
    if (this.batchCount > 0 && this.batchBytes + size > limit) this.flushBatches();
    let group = this.batches.get(groupKey);
    if (!group) {
      group = { msgs: [], results: [] };
      this.batches.set(groupKey, group);
    }
    group.msgs.push(msg);
    group.results.push(result);
    this.batchCount++;
    this.batchBytes += size + 32;
    if (this.batchCount >= batching.maxMessages || this.batchBytes >= limit) {
      this.flushBatches();
    } else if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = undefined;
        this.flushBatches();
      }, batching.maxDelayMs);
    }
    return result.promise;
  }

  /** Seals the open batch(es) into frames and sends them. */
  flushBatches(): void {
    if (this.batchTimer) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    if (this.batchCount === 0) return;
    const groups = [...this.batches.values()];
    this.batches.clear();
    this.batchBytes = 0;
    this.batchCount = 0;
    for (const group of groups) this.enqueue(this.buildBatch(group));
  }

  private baseMetadata(sequenceId: bigint): MessageMetadata {
    return {
      producer_name: this.producerName ?? '',
      sequence_id: sequenceId,
      publish_time: BigInt(Date.now()),
    };
  }

  private buildSingle(item: QueuedMessage): InFlight {
    const { msg } = item;
    const sequenceId = this.nextSequenceId++;
    const metadata = this.baseMetadata(sequenceId);
    const props = toKeyValues(msg.properties);
    if (props.length) metadata.properties = props;
    if (msg.key !== undefined) metadata.partition_key = msg.key;
    const eventTime = eventTimeOf(msg);
    if (eventTime !== undefined) metadata.event_time = eventTime;
    if (msg.orderingKey) metadata.ordering_key = msg.orderingKey;
    const payload = this.compressInto(metadata, msg.payload);
    const frame = encodePayloadCommand(
      {
        type: CommandType.SEND,
        send: { producer_id: this.producerId, sequence_id: sequenceId, num_messages: 1 },
      },
      metadata,
      payload,
    );
    return {
      sequenceId,
      highestSequenceId: sequenceId,
      frame,
      results: [item.result],
      batched: false,
      createdAt: Date.now(),
    };
  }

  private buildBatch(group: OpenBatch): InFlight {
    const first = this.nextSequenceId;
    const count = group.msgs.length;
    let data: Buffer;
    if (first + BigInt(count) <= MAX_SAFE_SEQUENCE_ID) {
      data = encodeBatch(group.msgs, Number(first));
      this.nextSequenceId += BigInt(count);
    } else {
      data = this.encodeBatchSlowly(group.msgs);
    }
    const last = this.nextSequenceId - 1n;
    const metadata = this.baseMetadata(first);
    metadata.num_messages_in_batch = count;
    metadata.highest_sequence_id = last;
    // With key-based batching every batch has one key; the entry carries it too.
    const key = group.msgs[0]!.key;
    if (this.config.batching?.keyBased && key !== undefined) metadata.partition_key = key;
    const payload = this.compressInto(metadata, data);
    const frame = encodePayloadCommand(
      {
        type: CommandType.SEND,
        send: {
          producer_id: this.producerId,
          sequence_id: first,
          num_messages: count,
          highest_sequence_id: last,
        },
      },
      metadata,
      payload,
    );
    return {
      sequenceId: first,
      highestSequenceId: last,
      frame,
      results: group.results,
      batched: true,
      createdAt: Date.now(),
    };
  }

  /** The generic encoder, for sequence ids beyond 2^53 (never in practice). */
  private encodeBatchSlowly(msgs: ProducerMessage[]): Buffer {
    const parts: Buffer[] = [];
    for (const msg of msgs) {
      const eventTime = eventTimeOf(msg);
      parts.push(
        encodeBatchItem(
          {
            properties: toKeyValues(msg.properties),
            ...(msg.key !== undefined ? { partition_key: msg.key } : {}),
            ...(eventTime !== undefined ? { event_time: eventTime } : {}),
            ...(msg.orderingKey ? { ordering_key: msg.orderingKey } : {}),
            sequence_id: this.nextSequenceId++,
          },
          msg.payload,
        ),
      );
    }
    return Buffer.concat(parts);
  }

  private compressInto(metadata: MessageMetadata, data: Buffer): Buffer {
    const type = this.config.compression;
    if (type === CompressionType.NONE) return data;
    metadata.compression = type;
    metadata.uncompressed_size = data.length;
    return compress(type, data);
  }

  private enqueue(op: InFlight): void {
    this.pending.push(op);
    const cnx = this.handler.cnx;
    if (this.ready && cnx && !cnx.closed) cnx.write(op.frame);
  }

  private onReceipt(cmd: BaseCommand): void {
    const r = cmd.send_receipt!;
    const head = this.pending.peek();
    if (!head) return;
    if (r.sequence_id < head.sequenceId) return; // a receipt for something already failed
    if (r.sequence_id > head.sequenceId) {
      this.client.logger.warn('receipt out of order; reconnecting to resend', {
        topic: this.topic,
        expected: String(head.sequenceId),
        got: String(r.sequence_id),
      });
      this.handler.cnx?.close();
      return;
    }
    this.pending.shift();
    const data = r.message_id ?? { ledgerId: -1n, entryId: -1n };
    const base = MessageId.fromData(data, this.partition);
    const results = head.results;
    const n = results.length;
    if (!head.batched) results[0]!.resolve(base);
    else {
      for (let i = 0; i < n; i++) {
        results[i]!.resolve(new MessageId(base.ledgerId, base.entryId, this.partition, i, n));
      }
    }
    this.config.onSettled(n);
  }

  private onSendError(cmd: BaseCommand): void {
    const e = cmd.send_error!;
    const err = PulsarError.fromServer(e.error, e.message, `send to ${this.topic}`);
    if (e.error === ServerError.TopicTerminatedError || e.error === ServerError.NotAllowedError) {
      this.failPending(err);
      return;
    }
    // Anything else: reconnect and resend from the first unacknowledged frame.
    this.client.logger.warn('send error; reconnecting to resend', {
      topic: this.topic,
      error: err.message,
    });
    this.handler.cnx?.close();
  }

  private expireTimedOut(): void {
    const head = this.pending.peek();
    if (!head || Date.now() - head.createdAt < this.config.sendTimeoutMs) return;
    this.failPending(
      new TimeoutError(
        `send to ${this.topic} not acknowledged within ${this.config.sendTimeoutMs} ms ` +
          `(${this.pending.length} batches pending); is the broker reachable?`,
      ),
    );
  }

  private failPending(err: Error): void {
    for (const op of this.pending.clear()) {
      for (const r of op.results) r.reject(err);
      this.config.onSettled(op.results.length);
    }
  }

  private fail(err: Error): void {
    this.failure = err;
    this.flushBatches();
    this.failPending(err);
  }

  /** Resolves when everything sent so far has been acknowledged (or failed). */
  async flush(): Promise<void> {
    this.flushBatches();
    const all = this.pending.toArray().flatMap((op) => op.results.map((r) => r.promise));
    await Promise.allSettled(all);
  }

  get pendingBatches(): number {
    return this.pending.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      // Bounded: with the broker gone and no send timeout, pending sends fail below instead.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.flush(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.client.operationTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
    } finally {
      this.closed = true;
      if (this.timeoutTimer) clearInterval(this.timeoutTimer);
      this.handler.close();
      const cnx = this.handler.cnx;
      if (cnx && !cnx.closed) {
        cnx.removeProducer(this.producerId);
        await cnx
          .request(
            (request_id) => ({
              type: CommandType.CLOSE_PRODUCER,
              close_producer: { producer_id: this.producerId, request_id },
            }),
            `close producer on ${this.topic}`,
          )
          .catch(() => undefined);
      }
      this.failPending(new AlreadyClosedError(`producer on ${this.topic}`));
    }
  }
}
