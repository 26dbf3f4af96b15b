// The writer's loop: gather aggregate rows and alerts from their topics into one batch
// (BATCH_SIZE rows or FLUSH_INTERVAL, whichever comes first, like the seed's 5,000-row JDBC
// batches; or sooner, once the topic has been quiet for FLUSH_IDLE), insert it into
// ClickHouse, and ack only after ClickHouse confirmed. Inserts are idempotent
// (ReplacingMergeTree keyed by device_id, window_start), so a batch replayed after a crash
// changes nothing visible through FINAL. A ClickHouse outage is waited out with backoff:
// Pulsar keeps the unacked data.
import { ChannelFormatError, decodeOutputMessage, PROP, type OutgoingMessage } from '@iot/channel';
import type { AggregateRow, Alert } from '@iot/windows';

export interface OutputBatch {
  messages: { payload: Uint8Array; properties: Readonly<Record<string, string>> }[];
  ack(): Promise<void>;
}

export interface OutputsSource {
  receiveBatch(maxMessages: number, timeoutMs: number): Promise<OutputBatch>;
}

/** The part of ClickHouseSink the writer needs. */
export interface RowSink {
  insertAggregates(rows: readonly AggregateRow[]): Promise<void>;
  insertSensorsLocal(rows: readonly AggregateRow[]): Promise<void>;
  insertAlerts(alerts: readonly Alert[]): Promise<void>;
}

export interface WriterTaskDeps {
  source: OutputsSource;
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
  retry: { initialMs: number; maxMs: number };
  onRetry?: (attempt: number, err: unknown, delayMs: number) => void;
  onFlush?: (stats: { aggregates: number; alerts: number; malformed: number; ms: number }) => void;
}

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
        count += decodeInto(b.messages, rows, alerts, malformed);
      } else if (count > 0 && deps.flushIdleMs > 0 && wait === deps.flushIdleMs) {
        break; // the topic went quiet: write what we have
      }
    }
    if (count === 0) return 0;

    await this.withRetry(async () => {
      if (rows.length > 0) {
        await deps.sink.insertAggregates(rows);
        await deps.sink.insertSensorsLocal(rows);
      }
      if (alerts.length > 0) await deps.sink.insertAlerts(alerts);
    });
    if (malformed.length > 0) await deps.publishDlq(malformed);
    for (const b of batches) await b.ack();
    deps.onFlush?.({
      aggregates: rows.length,
      alerts: alerts.length,
      malformed: malformed.length,
      ms: deps.now() - started,
    });
    return count;
  }

  private async withRetry(write: () => Promise<void>): Promise<void> {
    const { retry } = this.deps;
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        const delay = Math.min(retry.maxMs, retry.initialMs * 2 ** (attempt - 1));
        this.deps.onRetry?.(attempt, err, delay);
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
): number {
  let items = 0;
  for (const m of messages) {
    try {
      const d = decodeOutputMessage(m);
      if (d.kind === 'aggregates') {
        for (const row of d.rows) rows.push(row);
        items += d.rows.length;
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
