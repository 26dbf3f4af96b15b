// The aggregator's operator for one records partition (pure: no I/O, the caller passes the
// time). It applies a micro-batch of records envelopes to the per-device windows, closes the
// windows the watermark has passed, and returns the state change to commit and the outputs
// (an alerts envelope, aggregates envelopes, DLQ entries) to publish, so that state,
// positions and pending outputs are committed together (docs/architecture.md, "Exactly once").
import {
  ChannelGapError,
  comparePositions,
  encodeAggregatesMessage,
  encodeAlertsMessage,
  judgeOrigin,
  PROP,
  type ChannelProgress,
  type OutgoingMessage,
  type Origin,
  type RecordsEnvelope,
} from '@iot/channel';
import type { PartitionCommit, PartitionSnapshot } from '@iot/state';
import {
  addRecord,
  alertsFor,
  deserializeAccumulator,
  emptyAccumulator,
  finalizeWindow,
  isWindowClosed,
  serializeAccumulator,
  WatermarkTracker,
  windowStart,
  type AggregateRow,
  type Alert,
  type AlertKind,
  type AlertRules,
  type WatermarkSnapshot,
  type WindowAccumulator,
} from '@iot/windows';
import { encodeRecord, type SensorRecord } from '@iot/schema';

export interface WindowOperatorOptions {
  windowSizeMs: number;
  alertRules: AlertRules;
  /**
   * Upstream source partitions that must report a watermark before any window closes; a
   * function when the source topic can grow while running (read before every batch).
   */
  upstreamPartitions: number | (() => number);
}

/** Where an output goes. */
export type OutputTopic = 'aggregates' | 'alerts' | 'dlq';

export interface Output {
  topic: OutputTopic;
  message: OutgoingMessage;
}

export interface BatchStats {
  applied: number;
  duplicates: number;
  fenced: number;
  late: number;
  watermarks: number;
  windowsClosed: number;
  alerts: number;
  /** The batch's alerts by kind (for the alert-rate metric). */
  alertsByKind: Partial<Record<AlertKind, number>>;
}

export interface BatchResult {
  commit: PartitionCommit;
  outputs: Output[];
  stats: BatchStats;
  /** Combined upstream watermark after the batch (null until every partition reported). */
  watermark: number | null;
}

const META_CHANNEL = 'channel:';
const META_WATERMARKS = 'watermarks';
const META_CLOSED_THROUGH = 'closed-through';

const windowKey = (deviceId: string, start: number) => `${deviceId}|${start}`;

// Envelope sizes stay far below Pulsar's 5 MiB message limit: an aggregate row is about
// 1.5 KB of JSON, an alert 30 bytes.
const ROWS_PER_ENVELOPE = 1000;
const ALERTS_PER_ENVELOPE = 20_000;

/** Serializes an output for the pending list in Redis, and back. */
export function serializeOutput(o: Output): string {
  // Field by field rather than spreading the message: this runs once per output (an alert
  // for about 4 readings in 10), and the rest-spread showed in the aggregator's profile.
  const m = o.message;
  return JSON.stringify({
    topic: o.topic,
    key: m.key,
    properties: m.properties,
    eventTime: m.eventTime,
    payload: m.payload.toString('base64'),
  });
}

export function deserializeOutput(text: string): Output {
  const v = JSON.parse(text) as Omit<OutgoingMessage, 'payload'> & {
    topic: OutputTopic;
    payload: string;
  };
  const { topic, payload, ...message } = v;
  return { topic, message: { ...message, payload: Buffer.from(payload, 'base64') } };
}

export class WindowOperator {
  private readonly windows = new Map<string, WindowAccumulator>();
  private readonly channels = new Map<number, ChannelProgress>();
  private watermarks: WatermarkTracker;
  /** Highest watermark windows were closed at: a record for an earlier window is late. */
  private closedThrough: number | null = null;
  /** Source partitions the watermark tracker was told to expect. */
  private expectedUpstream = 0;

  constructor(
    private readonly opts: WindowOperatorOptions,
    nowMs: number,
  ) {
    this.watermarks = new WatermarkTracker(this.trackerOptions(), nowMs);
  }

  private upstreamCount(): number {
    const n = this.opts.upstreamPartitions;
    return typeof n === 'function' ? n() : n;
  }

  private trackerOptions() {
    this.expectedUpstream = this.upstreamCount();
    return {
      maxOutOfOrdernessMs: 0,
      idleTimeoutMs: 0,
      partitions: Array.from({ length: this.expectedUpstream }, (_, p) => String(p)),
      // Idle only when ingest says so (it has caught up with the source partition), never
      // for silence: a stalled ingest or broker must hold the windows open.
      idleness: 'explicit' as const,
      whenAllIdle: 'advance' as const,
    };
  }

  /** Source partitions added since: each holds the windows until it reports or idles. */
  private expectNewUpstream(nowMs: number): void {
    const n = this.upstreamCount();
    for (let p = this.expectedUpstream; p < n; p++) this.watermarks.expect(String(p), nowMs);
    if (n > this.expectedUpstream) this.expectedUpstream = n;
  }

  /** Rebuilds the operator from committed state (a restart or a new owner). */
  static restore(
    snapshot: PartitionSnapshot,
    opts: WindowOperatorOptions,
    nowMs: number,
  ): WindowOperator {
    const op = new WindowOperator(opts, nowMs);
    for (const [key, text] of snapshot.entries) {
      const acc = deserializeAccumulator(text);
      if (!acc.ok) throw new Error(`window state ${key} is unreadable: ${acc.error}`);
      op.windows.set(key, acc.value);
    }
    for (const [name, text] of snapshot.meta) {
      if (name.startsWith(META_CHANNEL)) {
        op.channels.set(Number(name.slice(META_CHANNEL.length)), JSON.parse(text));
      } else if (name === META_WATERMARKS) {
        op.watermarks = WatermarkTracker.fromJSON(
          JSON.parse(text) as WatermarkSnapshot,
          op.trackerOptions(),
          nowMs,
        );
      } else if (name === META_CLOSED_THROUGH) {
        op.closedThrough = JSON.parse(text) as number | null;
      }
    }
    return op;
  }

  get openWindows(): number {
    return this.windows.size;
  }

  /** Applies one micro-batch (possibly empty: time alone can close windows). */
  process(batch: readonly RecordsEnvelope[], nowMs: number): BatchResult {
    this.expectNewUpstream(nowMs);
    const stats: BatchStats = {
      applied: 0,
      duplicates: 0,
      fenced: 0,
      late: 0,
      watermarks: 0,
      windowsClosed: 0,
      alerts: 0,
      alertsByKind: {},
    };
    const outputs: Output[] = [];
    const alerts: Alert[] = [];
    const touched = new Set<string>();
    const touchedChannels = new Set<number>();
    const recentWindow = new Map<string, WindowAccumulator>();

    for (const envelope of batch) {
      const { origin, records } = envelope;
      const progress = this.channels.get(origin.partition);
      if (envelope.idle) {
        // Believed only from the current owner and once everything ingest sent here before
        // it was applied; it moves no channel position.
        const sentBefore = envelope.previous;
        const current = progress === undefined || origin.epoch >= progress.epoch;
        const caughtUp =
          sentBefore === null ||
          (progress !== undefined &&
            progress.position !== null &&
            comparePositions(sentBefore, progress.position) <= 0);
        if (current && caughtUp) this.watermarks.markIdle(String(origin.partition), nowMs);
        continue;
      }
      const verdict = judgeOrigin(progress, origin);
      if (verdict === 'fenced') {
        stats.fenced += records.length;
        continue;
      }
      // The envelope ingest sent before this one on the channel must have been applied: if it
      // was not, the subscription skipped envelopes (a seek the broker did not apply, a stray
      // ack, a reset cursor), and applying this one would make the skipped records look like
      // duplicates when they come again. Stop; the task re-reads from its committed position.
      const applied = progress?.position ?? null;
      if (
        verdict === 'apply' &&
        envelope.previous !== null &&
        applied !== null &&
        comparePositions(envelope.previous, applied) > 0
      ) {
        throw new ChannelGapError(
          `source partition ${origin.partition}: records are missing before an envelope ` +
            `(it follows position ${envelope.previous}, applied through ${applied}): the ` +
            'subscription skipped envelopes; re-reading from the committed position',
        );
      }
      // Records at or before the channel's position were applied already: all of them in a
      // duplicate envelope, a prefix of one that straddles it (a replay whose batch
      // boundaries differ from the first attempt's).
      let from = verdict === 'duplicate' ? records.length : 0;
      if (from === 0 && applied !== null && records.length > 0) {
        while (from < records.length && comparePositions(envelope.positionOf(from), applied) <= 0) {
          from++;
        }
      }
      stats.duplicates += from;
      this.channels.set(origin.partition, {
        position: verdict === 'apply' ? origin.position : applied,
        epoch: Math.max(progress?.epoch ?? 0, origin.epoch),
      });
      touchedChannels.add(origin.partition);
      this.watermarks.active(String(origin.partition), nowMs);

      for (let i = from; i < records.length; i++) {
        const record = records[i]!;
        stats.applied++;
        const start = windowStart(record.event_time, this.opts.windowSizeMs);
        if (isWindowClosed(start, this.opts.windowSizeMs, this.closedThrough)) {
          // Its window was already emitted (an upstream partition came back after idling).
          stats.late++;
          const recordOrigin = { ...origin, position: envelope.positionOf(i) };
          outputs.push({
            topic: 'dlq',
            message: lateMessage(record, recordOrigin, this.closedThrough),
          });
          continue;
        }
        // A device's records in a batch nearly always fall in one window: remember it per
        // device for the batch, so the key string is built and looked up once, not per record.
        let acc = recentWindow.get(record.device_id);
        if (acc === undefined || acc.window_start !== start) {
          const key = windowKey(record.device_id, start);
          acc = this.windows.get(key);
          if (acc === undefined) {
            acc = emptyAccumulator(record.device_id, start, this.opts.windowSizeMs);
            this.windows.set(key, acc);
          }
          touched.add(key);
          recentWindow.set(record.device_id, acc);
        }
        addRecord(acc, record, this.opts.alertRules);
        const raised = alertsFor(record, this.opts.alertRules);
        // Each alert carries its reading's source position: its identity in ClickHouse.
        for (const alert of raised) alerts.push({ ...alert, reading: envelope.positionOf(i) });
      }
      // Watermarks are monotonic, so one from a replayed envelope is harmless; it follows the
      // envelope's records, as it followed them at ingest.
      if (envelope.watermark !== null) {
        stats.watermarks++;
        this.watermarks.observeWatermark(String(origin.partition), envelope.watermark, nowMs);
      }
    }
    stats.alerts = alerts.length;
    for (const alert of alerts) {
      stats.alertsByKind[alert.kind] = (stats.alertsByKind[alert.kind] ?? 0) + 1;
    }
    for (let i = 0; i < alerts.length; i += ALERTS_PER_ENVELOPE) {
      const message = encodeAlertsMessage(alerts.slice(i, i + ALERTS_PER_ENVELOPE));
      outputs.push({ topic: 'alerts', message });
    }

    const watermark = this.watermarks.current(nowMs);
    const deletes: string[] = [];
    if (watermark !== null && (this.closedThrough === null || watermark > this.closedThrough)) {
      const closing = [...this.windows]
        .filter(([, acc]) => isWindowClosed(acc.window_start, this.opts.windowSizeMs, watermark))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const rows: AggregateRow[] = [];
      for (const [key, acc] of closing) {
        rows.push(finalizeWindow(acc));
        this.windows.delete(key);
        touched.delete(key);
        deletes.push(key);
      }
      for (let i = 0; i < rows.length; i += ROWS_PER_ENVELOPE) {
        const message = encodeAggregatesMessage(rows.slice(i, i + ROWS_PER_ENVELOPE));
        outputs.push({ topic: 'aggregates', message });
      }
      stats.windowsClosed = closing.length;
      this.closedThrough = watermark;
    }

    const upserts = new Map<string, string>();
    for (const key of touched) {
      const acc = this.windows.get(key);
      if (acc !== undefined) upserts.set(key, serializeAccumulator(acc));
    }
    const meta = new Map<string, string>();
    for (const p of touchedChannels) {
      meta.set(META_CHANNEL + p, JSON.stringify(this.channels.get(p)));
    }
    meta.set(META_WATERMARKS, JSON.stringify(this.watermarks.toJSON()));
    meta.set(META_CLOSED_THROUGH, JSON.stringify(this.closedThrough));

    return {
      commit: { upserts, deletes, meta, appendPending: outputs.map(serializeOutput) },
      outputs,
      stats,
      watermark,
    };
  }
}

function lateMessage(
  record: SensorRecord,
  origin: Origin,
  closedThrough: number | null,
): OutgoingMessage {
  return {
    payload: encodeRecord(record),
    key: record.device_id,
    properties: {
      [PROP.kind]: 'record',
      // The source message's origin: a DLQ reader counts each source message once.
      [PROP.originPartition]: String(origin.partition),
      [PROP.originPosition]: origin.position,
      [PROP.ownerEpoch]: String(origin.epoch),
      [PROP.reason]: 'late',
      [PROP.detail]: `window of event time ${record.event_time} already closed at watermark ${closedThrough}`,
    },
    eventTime: record.event_time,
  };
}
