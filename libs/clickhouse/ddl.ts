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

/** One of the pipeline's tables: ReplacingMergeTree keyed by what makes a row unique. */
interface TableDef {
  name: string;
  columns: readonly Column[];
  /** ReplacingMergeTree's version column ('' = none: the last inserted row wins). */
  version: string;
  partitionBy: string;
  orderBy: string;
}

// Every ORDER BY starts with device_id, which is also the Distributed tables' sharding key:
// all rows of one key land on one shard, where ReplacingMergeTree collapses them.
const TABLES: readonly TableDef[] = [
  // Seed shape kept for existing readers: one row per device per window (see rows.ts).
  {
    name: 'sensors_local',
    columns: SENSORS_LOCAL_COLUMNS,
    version: '',
    partitionBy: 'toYYYYMM(time)',
    orderBy: '(device_id, time)',
  },
  {
    name: 'sensor_aggregates',
    columns: AGGREGATE_TABLE_COLUMNS,
    version: 'version',
    partitionBy: 'toYYYYMM(window_start)',
    orderBy: '(device_id, window_start)',
  },
  {
    name: 'sensor_alerts',
    columns: ALERT_COLUMNS,
    version: 'version',
    partitionBy: 'toYYYYMM(event_time)',
    orderBy: '(device_id, event_time_ms, kind, source, reading)',
  },
];

/** The sharding key of the Distributed tables: a function of every table's first key column. */
export const SHARDING_KEY = 'cityHash64(device_id)';

/** Suffix of the per-shard tables behind the Distributed ones on a cluster. */
export const LOCAL_SUFFIX = '_local';

/** Statements creating the database and its tables; each is idempotent (IF NOT EXISTS). */
export function schemaStatements(database: string = DEFAULT_DATABASE): string[] {
  const db = identifier(database);
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    ...TABLES.map(
      (t) => `CREATE TABLE IF NOT EXISTS ${db}.${t.name} (\n${columns(t.columns)}\n)
ENGINE = ReplacingMergeTree(${t.version})
PARTITION BY ${t.partitionBy}
ORDER BY ${t.orderBy}`,
    ),
  ];
}

/**
 * The same tables on a ClickHouse cluster (a name in the servers' remote_servers, with
 * `{shard}` and `{replica}` macros and ZooKeeper): on every shard a
 * ReplicatedReplacingMergeTree `<table>_local`, and in front of them a Distributed `<table>`
 * sharded by device_id, so readers and the writer keep using the plain names. Runs ON CLUSTER
 * (every server, or an error naming the one that failed); the engine arguments are the
 * explicit (path, replica, version) form both 18.16 and current releases accept.
 */
export function clusterSchemaStatements(database: string, cluster: string): string[] {
  const db = identifier(database);
  const on = `ON CLUSTER ${identifier(cluster)}`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${db} ${on}`,
    ...TABLES.flatMap((t) => {
      const local = `${t.name}${LOCAL_SUFFIX}`;
      const path = `/clickhouse/tables/{shard}/${db}/${local}`;
      const version = t.version === '' ? '' : `, ${t.version}`;
      return [
        `CREATE TABLE IF NOT EXISTS ${db}.${local} ${on} (\n${columns(t.columns)}\n)
ENGINE = ReplicatedReplacingMergeTree('${path}', '{replica}'${version})
PARTITION BY ${t.partitionBy}
ORDER BY ${t.orderBy}`,
        `CREATE TABLE IF NOT EXISTS ${db}.${t.name} ${on} (\n${columns(t.columns)}\n)
ENGINE = Distributed(${identifier(cluster)}, ${db}, ${local}, ${SHARDING_KEY})`,
      ];
    }),
  ];
}
