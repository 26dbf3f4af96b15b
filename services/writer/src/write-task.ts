// The writer's loop: gather aggregate rows and alerts from their topics into one batch
// (BATCH_SIZE rows or FLUSH_INTERVAL, whichever comes first, like the seed's 5,000-row JDBC
// batches; or sooner, once the topic has been quiet for FLUSH_IDLE), insert it into
// ClickHouse, and ack only after ClickHouse confirmed. Inserts are idempotent
// (ReplacingMergeTree keyed by device_id, window_start), so a batch replayed after a crash
// changes nothing visible through FINAL. A ClickHouse outage is waited out with backoff:
// Pulsar keeps the unacked data. Rows ClickHouse refuses (a value a column cannot hold) are
// found by bisection and go to the DLQ with its error; the rest is written and the batch
// acked, so one bad row never stalls the writer.
import {
  ChannelFormatError,
  decodeOutputMessage,
  encodeAggregatesMessage,
  encodeAlertsMessage,
  PROP,
  type BatchSource,
  type IncomingMessage,
  type OutgoingMessage,
  type ReceivedBatch,
} from '@iot/channel';
import { classifyInsertError, type TransientClass } from '@iot/clickhouse';
import { backoffDelay, type BackoffOptions } from '@iot/pulsar/backoff';
import type { AggregateRow, Alert } from '@iot/windows';
import { insertIsolatingRefused, type Refused } from './isolate-refused.ts';

/** A micro-batch of aggregates or alerts envelopes. */
export type OutputBatch = ReceivedBatch<IncomingMessage>;

/** The part of ClickHouseSink the writer needs. */
export interface RowSink {
  insertAggregates(rows: readonly AggregateRow[]): Promise<void>;
  insertSensorsLocal(rows: readonly AggregateRow[]): Promise<void>;
  insertAlerts(alerts: readonly Alert[]): Promise<void>;
}

export interface WriterTaskDeps {
  source: BatchSource<IncomingMessage>;
  sink: RowSink;
  publishDlq(messages: readonly OutgoingMessage[]): Promise<void>;
  batchSize: number;
  flushIntervalMs: number;
  /**
   * A batch that has rows is written once no message arrived for this long (0: only
   * batchSize or flushIntervalMs end a batch). Window rows come in bursts at window close;
   * without this they would wait out the rest of the flush interval.
   */
  flushIdleMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Backoff between attempts at a transient failure (jittered unless `jitter: 0`). */
  retry: BackoffOptions & { initialMs: number; maxMs: number };
  onRetry?: (attempt: number, err: unknown, delayMs: number, errorClass: TransientClass) => void;
  /** Once per row or alert ClickHouse refused; it is in the DLQ batch with `detail`. */
  onRejected?: (table: WriterTable, detail: string) => void;
  onFlush?: (stats: {
    aggregates: number;
    alerts: number;
    malformed: number;
    /** Rows and alerts refused by ClickHouse, sent to the DLQ. */
    rejected: number;
    ms: number;
    /** Per aggregates envelope written: when its windows closed (publish time) and its rows. */
    windowsClosedAt: { at: number; rows: number }[];
  }) => void;
}

export type WriterTable = 'sensors_local' | 'sensor_aggregates' | 'sensor_alerts';

/** DLQ reason of a row or alert ClickHouse refused; `PROP.detail` holds its error text. */
export const REJECTED_REASON = 'rejected_by_clickhouse';
/** Pulsar properties travel in every message's metadata: keep ClickHouse's text bounded. */
const MAX_DETAIL = 1_000;

export class WriteTask {
  constructor(private readonly deps: WriterTaskDeps) {}

  /** Gathers one batch, writes it, acks it. Returns the number of rows and alerts handled. */
  async step(): Promise<number> {
    const { deps } = this;
    const started = deps.now();
    const batches: OutputBatch[] = [];
    /** Rows and alerts gathered (a malformed envelope counts as one). */
    let count = 0;
    const rows: AggregateRow[] = [];
    const alerts: Alert[] = [];
    const malformed: OutgoingMessage[] = [];
    const closedAt: { at: number; rows: number }[] = [];
    while (count < deps.batchSize) {
      const left = deps.flushIntervalMs - (deps.now() - started);
      if (left <= 0) break;
      // In idle-sized slices, so that a quiet slice can end a batch that has rows.
      const wait = deps.flushIdleMs > 0 ? Math.min(left, deps.flushIdleMs) : left;
      // An envelope holds one row or more, so this asks for no more envelopes than rows are
      // missing; the last receive may still take the batch past batchSize.
      const b = await deps.source.receiveBatch(deps.batchSize - count, wait);
      if (b.messages.length > 0) {
        batches.push(b);
        count += decodeInto(b.messages, rows, alerts, malformed, closedAt);
      } else if (count > 0 && deps.flushIdleMs > 0 && wait === deps.flushIdleMs) {
        break; // the topic went quiet: write what we have
      }
    }
    if (count === 0) return 0;

    // A window's row goes to both row tables or to neither, so they never diverge. ClickHouse
    // has no transactions, so order does it: sensors_local first (its columns are the
    // narrower, e.g. error_count UInt32 where sensor_aggregates has UInt64: the one that
    // refuses), then sensor_aggregates gets only the rows sensors_local took. A row that
    // sensor_aggregates alone refuses (no such value is known with today's columns) stays in
    // sensors_local; the DLQ detail names the table that refused it.
    const localRefused = await this.insert('sensors_local', rows, (xs) =>
      deps.sink.insertSensorsLocal(xs),
    );
    const accepted = without(rows, localRefused);
    const aggregatesRefused = await this.insert('sensor_aggregates', accepted, (xs) =>
      deps.sink.insertAggregates(xs),
    );
    const alertsRefused = await this.insert('sensor_alerts', alerts, (xs) =>
      deps.sink.insertAlerts(xs),
    );
    const rejected = [
      ...localRefused.map((r) => rejectedMessage(encodeAggregatesMessage([r.item]), r)),
      ...aggregatesRefused.map((r) => rejectedMessage(encodeAggregatesMessage([r.item]), r)),
      ...alertsRefused.map((r) => rejectedMessage(encodeAlertsMessage([r.item]), r)),
    ];
    const dlq = [...malformed, ...rejected];
    if (dlq.length > 0) await deps.publishDlq(dlq);
    for (const b of batches) await b.ack();
    deps.onFlush?.({
      aggregates: accepted.length - aggregatesRefused.length,
      alerts: alerts.length - alertsRefused.length,
      malformed: malformed.length,
      rejected: rejected.length,
      ms: deps.now() - started,
      windowsClosedAt: closedAt,
    });
    return count;
  }

  /** Inserts into one table; returns what it refused, each with ClickHouse's error text. */
  private async insert<T>(
    table: WriterTable,
    items: readonly T[],
    write: (items: readonly T[]) => Promise<void>,
  ): Promise<RefusedIn<T>[]> {
    const refused = await insertIsolatingRefused(
      items,
      (xs) => this.withRetry(() => write(xs)),
      (err) => classifyInsertError(err).kind === 'refused',
    );
    return refused.map((r) => {
      const detail = refusalDetail(table, r.error);
      this.deps.onRejected?.(table, detail);
      return { ...r, detail };
    });
  }

  /** Retries transient failures with jittered backoff, for ever; rethrows a refusal. */
  private async withRetry(write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        const c = classifyInsertError(err);
        if (c.kind === 'refused') throw err;
        const delay = backoffDelay(attempt, this.deps.retry);
        this.deps.onRetry?.(attempt, err, delay, c.class);
        await this.deps.sleep(delay);
      }
    }
  }
}

/** Decodes envelopes into the batch's rows and alerts; returns how many items they held. */
function decodeInto(
  messages: OutputBatch['messages'],
  rows: AggregateRow[],
  alerts: Alert[],
  malformed: OutgoingMessage[],
  closedAt: { at: number; rows: number }[],
): number {
  let items = 0;
  for (const m of messages) {
    try {
      const d = decodeOutputMessage(m);
      if (d.kind === 'aggregates') {
        for (const row of d.rows) rows.push(row);
        items += d.rows.length;
        if (m.publishTime !== undefined) closedAt.push({ at: m.publishTime, rows: d.rows.length });
      } else {
        for (const alert of d.alerts) alerts.push(alert);
        items += d.alerts.length;
      }
    } catch (err) {
      if (!(err instanceof ChannelFormatError)) throw err;
      malformed.push({
        payload: Buffer.from(m.payload),
        properties: {
          ...m.properties,
          [PROP.reason]: 'bad_output_message',
          [PROP.detail]: err.message,
        },
      });
      items++;
    }
  }
  return items;
}

type RefusedIn<T> = Refused<T> & { detail: string };

function without<T>(items: readonly T[], refused: readonly Refused<T>[]): T[] {
  if (refused.length === 0) return [...items];
  const out = new Set(refused.map((r) => r.item));
  return items.filter((x) => !out.has(x));
}

/** "table: ClickHouse's message", trimmed and bounded. */
export function refusalDetail(table: WriterTable, err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).trim();
  const detail = text.startsWith(`${table}:`) ? text : `${table}: ${text}`;
  return detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
}

function rejectedMessage(m: OutgoingMessage, r: { detail: string }): OutgoingMessage {
  return {
    ...m,
    properties: { ...m.properties, [PROP.reason]: REJECTED_REASON, [PROP.detail]: r.detail },
  };
}
