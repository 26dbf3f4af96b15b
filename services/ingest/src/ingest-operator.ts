// The ingest operator for one source partition (pure: the caller passes the time and epoch).
// It decodes a micro-batch of raw sensor messages, assigns event time, keeps the partition's
// watermark, and decides each message's fate: a record for the records topic, or the DLQ with
// a reason (undecodable, invalid, late). Nothing is dropped without a trace. The records leave
// as one envelope per records partition (docs/architecture.md, "Envelopes"), stamped once
// with the batch's origin and the watermark after it.
import {
  PROP,
  recordsMessage,
  RecordsEnvelopeBuilder,
  type OutgoingMessage,
  type Origin,
} from '@iot/channel';
import type { PartitionCommit, PartitionSnapshot } from '@iot/state';
import { MessageId, partitionForKey } from '@iot/pulsar';
import {
  checkEventTime,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  decodeSensorMessage,
  reject,
} from '@iot/schema';
import { WatermarkTracker, type WatermarkSnapshot } from '@iot/windows';
import type { WriterSchema } from './writer-schemas.ts';

export type TimeMode = 'event' | 'ingest';

export interface IngestOptions {
  sourcePartition: number;
  timeMode: TimeMode;
  maxOutOfOrdernessMs: number;
  /** Partitions of the records topic (records are routed by device_id, as Pulsar keys are). */
  recordsPartitions: number;
  /** Event times further ahead of the clock go to the DLQ as `future` (default 10 min). */
  maxFutureSkewMs?: number;
}

/** One message read from the source topic (a Pulsar Message is one, so no copy is made). */
export interface SourceMessage {
  payload: Uint8Array;
  /** Its position on the source partition. */
  messageId: MessageId;
  eventTime?: number | null;
  publishTime: number;
  properties?: Readonly<Record<string, string>>;
  /** The Pulsar client could not decode the entry (payload is its raw bytes): DLQ it. */
  decodeError?: string;
  /** Schema-registry version the producer stamped (see writer-schemas.ts). */
  schemaVersion?: Buffer;
}

/** What the task learnt about a batch before handing it over. */
export interface BatchContext {
  /**
   * Messages (by index) this operator threw on before (@iot/stage poison.ts): they go to the
   * DLQ as `operator_error` with the error, and count as consumed.
   */
  poisoned?: ReadonlyMap<number, Error>;
  /** Writer schemas of the batch's schema versions (hex), resolved through the registry. */
  writerSchemas?: ReadonlyMap<string, WriterSchema>;
}

export interface IngestStats {
  records: number;
  dlq: number;
  late: number;
  skipped: number;
  reasons: Record<string, number>;
}

/** A records envelope and the records partition it goes to. */
export interface RoutedEnvelope {
  partition: number;
  message: OutgoingMessage;
}

export interface IngestResult {
  /**
   * One envelope per records partition that gets records from this batch; every partition
   * gets one when the watermark moved (an envelope without records then carries it).
   */
  envelopes: RoutedEnvelope[];
  /** Bad and late input, original bytes and a reason. */
  dlq: OutgoingMessage[];
  commit: PartitionCommit;
  stats: IngestStats;
}

const NO_POISON: ReadonlyMap<number, Error> = new Map();
const META_POSITION = 'position';
const META_WATERMARK = 'watermark';
/** Per records partition: origin position of the last envelope sent there (`sent:<q>`). */
const META_SENT = 'sent:';
const PARTITION = 'source';
/** Device → records partition entries kept before the cache starts over (bounds memory). */
const ROUTE_CACHE_SIZE = 100_000;

export class IngestOperator {
  /** Last committed source position, serialized (as stored) and parsed (to compare). */
  private position: string | null = null;
  private positionId: MessageId | null = null;
  private tracker: WatermarkTracker;
  private readonly builders: RecordsEnvelopeBuilder[];
  /** Per records partition, the origin position of the last envelope sent there (committed). */
  private readonly sent: (string | null)[];
  private readonly routes = new Map<string, number>();

  constructor(
    private readonly opts: IngestOptions,
    nowMs: number,
  ) {
    if (!Number.isInteger(opts.recordsPartitions) || opts.recordsPartitions < 1) {
      throw new RangeError(
        `recordsPartitions must be a positive integer, got ${opts.recordsPartitions}`,
      );
    }
    this.tracker = new WatermarkTracker(this.trackerOptions(), nowMs);
    this.builders = Array.from(
      { length: opts.recordsPartitions },
      () => new RecordsEnvelopeBuilder(),
    );
    this.sent = Array.from({ length: opts.recordsPartitions }, () => null);
  }

  private trackerOptions() {
    // One source partition per operator: idleness is the aggregator's concern.
    return { maxOutOfOrdernessMs: this.opts.maxOutOfOrdernessMs, idleTimeoutMs: 0 };
  }

  static restore(snapshot: PartitionSnapshot, opts: IngestOptions, nowMs: number): IngestOperator {
    const op = new IngestOperator(opts, nowMs);
    op.position = snapshot.meta.get(META_POSITION) ?? null;
    op.positionId = op.position === null ? null : MessageId.parse(op.position);
    for (let q = 0; q < op.sent.length; q++) op.sent[q] = snapshot.meta.get(META_SENT + q) ?? null;
    const wm = snapshot.meta.get(META_WATERMARK);
    if (wm !== undefined) {
      op.tracker = WatermarkTracker.fromJSON(
        JSON.parse(wm) as WatermarkSnapshot,
        op.trackerOptions(),
        nowMs,
      );
    }
    return op;
  }

  /** Last committed source position (serialized MessageId), null before the first batch. */
  get committedPosition(): string | null {
    return this.position;
  }

  get watermark(): number | null {
    return this.tracker.watermarkOf(PARTITION);
  }

  /** The records partition of a device: murmur3 of its id, like a keyed Pulsar producer. */
  private route(deviceId: string): number {
    let p = this.routes.get(deviceId);
    if (p === undefined) {
      if (this.routes.size >= ROUTE_CACHE_SIZE) this.routes.clear();
      p = partitionForKey(deviceId, this.opts.recordsPartitions);
      this.routes.set(deviceId, p);
    }
    return p;
  }

  process(
    batch: readonly SourceMessage[],
    nowMs: number,
    epoch: number,
    context: BatchContext = {},
  ): IngestResult {
    const poisoned = context.poisoned ?? NO_POISON;
    const stats: IngestStats = { records: 0, dlq: 0, late: 0, skipped: 0, reasons: {} };
    const dlq: OutgoingMessage[] = [];
    const before = this.watermark;
    let last: MessageId | null = null;

    for (let i = 0; i < batch.length; i++) {
      const msg = batch[i]!;
      const poison = poisoned.get(i);
      if (poison !== undefined) {
        last = msg.messageId;
        const detail = `the ingest operator threw on it: ${poison.message}`;
        dlq.push(dlqMessage(msg, this.originOf(msg, epoch), 'operator_error', detail));
        stats.dlq++;
        stats.reasons.operator_error = (stats.reasons.operator_error ?? 0) + 1;
        continue;
      }
      // A redelivery of something already committed (acks can be lost): its outputs exist.
      if (this.positionId !== null && msg.messageId.compare(this.positionId) <= 0) {
        stats.skipped++;
        continue;
      }
      last = msg.messageId;
      let decoded = this.decode(msg, context.writerSchemas);
      // Before the watermark sees it: a 2100 reading would make the partition's later data late.
      if (decoded.ok && this.opts.timeMode === 'event') {
        const skew = this.opts.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
        decoded = checkEventTime(decoded.value.event_time, nowMs, skew) ?? decoded;
      }
      if (!decoded.ok) {
        dlq.push(dlqMessage(msg, this.originOf(msg, epoch), decoded.reason, decoded.detail));
        stats.dlq++;
        stats.reasons[decoded.reason] = (stats.reasons[decoded.reason] ?? 0) + 1;
        continue;
      }
      const record =
        this.opts.timeMode === 'ingest' ? { ...decoded.value, event_time: nowMs } : decoded.value;
      if (this.tracker.observe(PARTITION, record.event_time, nowMs)) {
        const detail = `event time ${record.event_time} is behind the partition watermark ${this.watermark}`;
        dlq.push(dlqMessage(msg, this.originOf(msg, epoch), 'late', detail));
        stats.late++;
        continue;
      }
      this.builders[this.route(record.device_id)]!.add(record, msg.messageId);
      stats.records++;
    }

    const envelopes: RoutedEnvelope[] = [];
    const after = this.watermark;
    const meta = new Map<string, string>();
    if (last !== null) {
      const position = last.serialize();
      const origin: Origin = { partition: this.opts.sourcePartition, position, epoch };
      const moved = after !== null && after !== before;
      this.builders.forEach((builder, partition) => {
        if (builder.size === 0 && !moved) return;
        // Each envelope names the one before it on its channel: the aggregator can then tell
        // that it has read every one (a broker can move a cursor past some).
        const previous = this.sent[partition] ?? null;
        envelopes.push({
          partition,
          message: recordsMessage(builder.finish(origin, after, previous)),
        });
        this.sent[partition] = position;
        meta.set(META_SENT + partition, position);
      });
      this.position = position;
      this.positionId = last;
      meta.set(META_POSITION, position);
      meta.set(META_WATERMARK, JSON.stringify(this.tracker.toJSON()));
    }
    return { envelopes, dlq, commit: { meta }, stats };
  }

  private decode(
    msg: SourceMessage,
    writerSchemas: BatchContext['writerSchemas'],
  ): ReturnType<typeof decodeSensorMessage> {
    if (msg.decodeError !== undefined) {
      return reject('undecodable', `the Pulsar client could not decode it: ${msg.decodeError}`);
    }
    // Stamped by a producer with a registered schema: decode with that writer schema.
    const writer = msg.schemaVersion?.length
      ? writerSchemas?.get(msg.schemaVersion.toString('hex'))
      : undefined;
    if (writer !== undefined && !writer.ok) return reject('unresolved_schema', writer.detail);
    return decodeSensorMessage({
      payload: msg.payload,
      eventTime: msg.eventTime ?? null,
      publishTime: msg.publishTime,
      ...(writer?.schema !== undefined ? { writerSchema: writer.schema, format: 'avro' } : {}),
    });
  }

  /**
   * Idle markers: an envelope without records to every records partition, saying that this
   * source partition has nothing pending (the task sends them once it has been caught up
   * with its source for the idle timeout). They change no state: each names the last
   * envelope sent to its partition, so the aggregator believes it only when it applied that.
   */
  idleMarkers(epoch: number): RoutedEnvelope[] {
    const origin: Origin = {
      partition: this.opts.sourcePartition,
      position: this.position ?? '',
      epoch,
    };
    return this.builders.map((builder, partition) => ({
      partition,
      message: recordsMessage(
        builder.finish(origin, this.watermark, this.sent[partition] ?? null, true),
      ),
    }));
  }

  private originOf(msg: SourceMessage, epoch: number): Origin {
    return { partition: this.opts.sourcePartition, position: msg.messageId.serialize(), epoch };
  }
}

function dlqMessage(
  msg: SourceMessage,
  origin: Origin,
  reason: string,
  detail: string,
): OutgoingMessage {
  return {
    payload: Buffer.from(msg.payload),
    properties: {
      ...msg.properties,
      [PROP.reason]: reason,
      [PROP.detail]: detail.slice(0, 1000),
      [PROP.originPartition]: String(origin.partition),
      [PROP.originPosition]: origin.position,
      [PROP.ownerEpoch]: String(origin.epoch),
    },
    ...(msg.eventTime ? { eventTime: msg.eventTime } : {}),
  };
}
