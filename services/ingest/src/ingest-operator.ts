// The ingest operator for one source partition (pure: the caller passes the time and epoch).
// It decodes a micro-batch of raw sensor messages, assigns event time, keeps the partition's
// watermark, and decides each message's fate: a record for the records topic, or the DLQ with
// a reason (undecodable, invalid, late). Nothing is dropped without a trace (DESIGN.md §3).
import {
  comparePositions,
  encodeRecordMessage,
  encodeWatermarkMessage,
  PROP,
  type OutgoingMessage,
  type Origin,
} from '@iot/channel';
import type { PartitionCommit, PartitionSnapshot } from '@iot/state';
import {
  checkEventTime,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  decodeSensorMessage,
  reject,
} from '@iot/schema';
import { WatermarkTracker, type WatermarkSnapshot } from '@iot/windows';

export type TimeMode = 'event' | 'ingest';

export interface IngestOptions {
  sourcePartition: number;
  timeMode: TimeMode;
  maxOutOfOrdernessMs: number;
  /** Event times further ahead of the clock go to the DLQ as `future` (default 10 min). */
  maxFutureSkewMs?: number;
}

/** One message read from the source topic. */
export interface SourceMessage {
  payload: Uint8Array;
  /** Serialized MessageId. */
  position: string;
  eventTime?: number | null;
  publishTime: number;
  properties?: Readonly<Record<string, string>>;
  /** The Pulsar client could not decode the entry (payload is its raw bytes): DLQ it. */
  decodeError?: string;
}

export interface IngestStats {
  records: number;
  dlq: number;
  late: number;
  skipped: number;
  reasons: Record<string, number>;
}

export interface IngestResult {
  /** Records (keyed by device_id) for the records topic, in source order. */
  records: OutgoingMessage[];
  /** Bad and late input, original bytes and a reason. */
  dlq: OutgoingMessage[];
  /** The partition's watermark after the batch, when it moved (send to every output partition). */
  watermark: OutgoingMessage | null;
  commit: PartitionCommit;
  stats: IngestStats;
}

const META_POSITION = 'position';
const META_WATERMARK = 'watermark';
const PARTITION = 'source';

export class IngestOperator {
  private position: string | null = null;
  private tracker: WatermarkTracker;

  constructor(
    private readonly opts: IngestOptions,
    nowMs: number,
  ) {
    this.tracker = new WatermarkTracker(this.trackerOptions(), nowMs);
  }

  private trackerOptions() {
    // One source partition per operator: idleness is the aggregator's concern.
    return { maxOutOfOrdernessMs: this.opts.maxOutOfOrdernessMs, idleTimeoutMs: 0 };
  }

  static restore(snapshot: PartitionSnapshot, opts: IngestOptions, nowMs: number): IngestOperator {
    const op = new IngestOperator(opts, nowMs);
    op.position = snapshot.meta.get(META_POSITION) ?? null;
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

  process(batch: readonly SourceMessage[], nowMs: number, epoch: number): IngestResult {
    const stats: IngestStats = { records: 0, dlq: 0, late: 0, skipped: 0, reasons: {} };
    const records: OutgoingMessage[] = [];
    const dlq: OutgoingMessage[] = [];
    const before = this.watermark;
    let last: string | null = null;

    for (const msg of batch) {
      // A redelivery of something already committed (acks can be lost): its outputs exist.
      if (this.position !== null && comparePositions(msg.position, this.position) <= 0) {
        stats.skipped++;
        continue;
      }
      last = msg.position;
      const origin: Origin = {
        partition: this.opts.sourcePartition,
        position: msg.position,
        epoch,
      };
      let decoded =
        msg.decodeError === undefined
          ? decodeSensorMessage({
              payload: msg.payload,
              eventTime: msg.eventTime ?? null,
              publishTime: msg.publishTime,
            })
          : reject('undecodable', `the Pulsar client could not decode it: ${msg.decodeError}`);
      // Before the watermark sees it: a 2100 reading would make the partition's later data late.
      if (decoded.ok && this.opts.timeMode === 'event') {
        const skew = this.opts.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
        decoded = checkEventTime(decoded.value.event_time, nowMs, skew) ?? decoded;
      }
      if (!decoded.ok) {
        dlq.push(dlqMessage(msg, origin, decoded.reason, decoded.detail));
        stats.dlq++;
        stats.reasons[decoded.reason] = (stats.reasons[decoded.reason] ?? 0) + 1;
        continue;
      }
      const record =
        this.opts.timeMode === 'ingest' ? { ...decoded.value, event_time: nowMs } : decoded.value;
      if (this.tracker.observe(PARTITION, record.event_time, nowMs)) {
        const detail = `event time ${record.event_time} is behind the partition watermark ${this.watermark}`;
        dlq.push(dlqMessage(msg, origin, 'late', detail));
        stats.late++;
        continue;
      }
      records.push(encodeRecordMessage(record, origin));
      stats.records++;
    }

    const after = this.watermark;
    const watermark =
      after !== null && after !== before && last !== null
        ? encodeWatermarkMessage(after, {
            partition: this.opts.sourcePartition,
            position: last,
            epoch,
          })
        : null;
    const meta = new Map<string, string>();
    if (last !== null) {
      this.position = last;
      meta.set(META_POSITION, last);
      meta.set(META_WATERMARK, JSON.stringify(this.tracker.toJSON()));
    }
    return { records, dlq, watermark, commit: { meta }, stats };
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
