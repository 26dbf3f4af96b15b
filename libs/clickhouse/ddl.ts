/**
 * Tables of the pipeline. The DDL runs unchanged on ClickHouse 18.16 (Debian's, the local
 * stack) and on current releases: MergeTree family with the PARTITION BY / ORDER BY syntax
 * (18.16 has it), DateTime (UInt32 seconds, no DateTime64), plain String (no
 * LowCardinality, experimental in 18.x), no JSON type, no codecs, no TTL, no settings.
 *
 * Every table is a ReplacingMergeTree keyed by what makes a row unique, so a replayed insert
 * collapses into the row it repeats; exact reads use FINAL.
 */
import { SENSORS_LOCAL_COLUMNS, type Column, type ColumnType } from '@iot/schema';
import { AGGREGATE_COLUMNS, COUNTERS, METRICS, type CounterName } from '@iot/windows';
import { identifier } from './sql.ts';

export const DEFAULT_DATABASE = 'benchmark';

/** ClickHouse type of each sensor_aggregates column. */
export function aggregateColumnType(column: string): ColumnType {
  if (['device_id', 'device_type', 'customer_id', 'site_id'].includes(column)) return 'String';
  if (column === 'window_start' || column === 'window_end') return 'DateTime';
  if (column === 'count' || METRIC_COUNTS.has(column)) return 'UInt32';
  if (WIDE_COUNTERS.has(column)) return 'UInt64';
  if ((COUNTERS as readonly string[]).includes(column)) return 'UInt32';
  return 'Float64';
}

const METRIC_COUNTS: ReadonlySet<string> = new Set(METRICS.map((m) => `${m}_count`));

/** Totals that can outgrow UInt32 within a window. */
const WIDE_COUNTERS: ReadonlySet<string> = new Set<CounterName>([
  'error_count',
  'packets_sent',
  'packets_received',
  'bytes_sent',
  'bytes_received',
]);

/** benchmark.sensors_local: declared in @iot/schema, whose validation ranges derive from it. */
export { SENSORS_LOCAL_COLUMNS };

export const ALERT_COLUMNS: readonly Column[] = [
  ['device_id', 'String'],
  ['event_time', 'DateTime'],
  ['event_time_ms', 'UInt64'],
  ['kind', 'String'],
  ['source', 'String'],
  ['value', 'Float64'],
  ['threshold', 'Float64'],
  // The reading's source position: readings of one device can share an event time.
  ['reading', 'String'],
  ['version', 'UInt64'],
];

/** sensor_aggregates: every AggregateRow column, then version. */
export const AGGREGATE_TABLE_COLUMNS: readonly Column[] = [
  ...AGGREGATE_COLUMNS.map((c): Column => [c, aggregateColumnType(c)]),
  ['version', 'UInt64'],
];

function columns(list: readonly Column[]): string {
  return list.map(([name, type]) => `    ${name} ${type}`).join(',\n');
}

/** Statements creating the database and its tables; each is idempotent (IF NOT EXISTS). */
export function schemaStatements(database: string = DEFAULT_DATABASE): string[] {
  const db = identifier(database);
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    // Seed shape kept for existing readers: one row per device per window (see rows.ts).
    `CREATE TABLE IF NOT EXISTS ${db}.sensors_local (\n${columns(SENSORS_LOCAL_COLUMNS)}\n)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (device_id, time)`,
    `CREATE TABLE IF NOT EXISTS ${db}.sensor_aggregates (\n${columns(AGGREGATE_TABLE_COLUMNS)}\n)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(window_start)
ORDER BY (device_id, window_start)`,
    `CREATE TABLE IF NOT EXISTS ${db}.sensor_alerts (\n${columns(ALERT_COLUMNS)}\n)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(event_time)
ORDER BY (device_id, event_time_ms, kind, source, reading)`,
  ];
}
