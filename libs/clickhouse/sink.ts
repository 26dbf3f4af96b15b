/**
 * ClickHouseSink: the only code that talks to ClickHouse for the pipeline's tables.
 * Thin on purpose: SQL and row shapes live in ddl.ts / rows.ts.
 *
 * What ClickHouse 18.16's HTTP interface rejects (found against the local stack) and how
 * this adapter avoids it:
 *  - query parameters (`{x:UInt32}` → "Unknown setting param_x"): values are inlined as
 *    checked literals (sql.ts);
 *  - JSONCompactEachRow (input and output: "Unknown format"): JSONEachRow both ways;
 *  - `date_time_output_format` ("Unknown setting"): DateTimes are read as toUInt32(...);
 *  - DateTime 0 prints as "0000-00-00 00:00:00": another reason to read epoch seconds;
 *  - its text float parser is not correctly rounded (JSONEachRow "5.69" is stored as
 *    5.6899999999999995), so inserts use RowBinary (rowbinary.ts), which keeps the bits.
 * UInt64 columns come back quoted (output_format_json_quote_64bit_integers=1 by default on
 * every version); rows.ts converts them. Float output is exact (shortest round-trip).
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { AGGREGATE_COLUMNS } from '@iot/windows';
import {
  AGGREGATE_TABLE_COLUMNS,
  ALERT_COLUMNS,
  DEFAULT_DATABASE,
  SENSORS_LOCAL_COLUMNS,
  clusterSchemaStatements,
  schemaStatements,
} from './ddl.ts';
import { UnencodableRowError } from './insert-errors.ts';
import { encodeRowBinary, type Cell, type Column } from './rowbinary.ts';
import {
  aggregateFromClickHouse,
  aggregateToClickHouse,
  alertFromClickHouse,
  alertToClickHouse,
  sensorsLocalFromAggregate,
  type AggregateInsert,
  type AlertInsert,
  type StoredAggregate,
  type StoredAlert,
} from './rows.ts';
import { identifier, integerLiteral, stringLiteral } from './sql.ts';

/** The part of @clickhouse/client the sink uses. */
export type ClickHouseLike = Pick<ClickHouseClient, 'command' | 'exec' | 'query'>;

export interface AggregateFilter {
  deviceIds?: readonly string[];
  /** Inclusive lower bound on window_start, epoch ms. */
  fromMs?: number;
  /** Exclusive upper bound on window_start, epoch ms. */
  toMs?: number;
  limit?: number;
}

export interface AlertFilter {
  deviceIds?: readonly string[];
  fromMs?: number;
  toMs?: number;
}

export function whereClause(
  column: string,
  filter: AggregateFilter | AlertFilter,
  unit: 'seconds' | 'ms',
): string {
  const parts: string[] = [];
  if (filter.deviceIds !== undefined) {
    // An empty list matches nothing; `IN ()` is a syntax error, so say it plainly.
    parts.push(
      filter.deviceIds.length === 0
        ? '0'
        : `device_id IN (${filter.deviceIds.map(stringLiteral).join(', ')})`,
    );
  }
  // DateTime holds seconds and window starts are whole seconds: s*1000 >= from ⇔ s >= ⌈from/1000⌉.
  const bound = (ms: number): string =>
    integerLiteral(unit === 'seconds' ? Math.ceil(ms / 1000) : ms);
  const col = unit === 'seconds' ? `toUInt32(${column})` : column;
  if (filter.fromMs !== undefined) parts.push(`${col} >= ${bound(filter.fromMs)}`);
  if (filter.toMs !== undefined) parts.push(`${col} < ${bound(filter.toMs)}`);
  return parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`;
}

export interface SinkOptions {
  database?: string;
  /**
   * A cluster of the server's remote_servers (CLICKHOUSE_CLUSTER): replicated tables on every
   * shard behind Distributed ones (ddl.ts, clusterSchemaStatements), written synchronously.
   */
  cluster?: string;
}

export class ClickHouseSink {
  readonly database: string;
  readonly cluster: string | undefined;
  readonly #client: ClickHouseLike;

  constructor(client: ClickHouseLike, options: SinkOptions = {}) {
    this.#client = client;
    this.database = identifier(options.database ?? DEFAULT_DATABASE);
    this.cluster = options.cluster === undefined ? undefined : identifier(options.cluster);
  }

  /**
   * One INSERT … FORMAT RowBinary; resolves once ClickHouse has answered and the body is
   * drained. A row the columns cannot hold throws UnencodableRowError before anything is sent.
   */
  async #insert<T>(
    table: string,
    columns: readonly Column[],
    rows: readonly T[],
    toCells: (row: T) => Record<string, Cell>,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = encodeRowBinary(columns, rows.map(toCells));
    } catch (err) {
      throw new UnencodableRowError(table, err);
    }
    const query = `INSERT INTO ${this.database}.${table} (${columns.map(([c]) => c).join(', ')}) FORMAT RowBinary`;
    const result = await this.#client.exec({
      query,
      values: Readable.from([body]),
      // Into a Distributed table: split by the sharding key and written to every shard before
      // the answer, so an acknowledged insert is stored, and a failed one is retried whole
      // and splits into the same per-shard blocks (docs/architecture.md, "ClickHouse cluster").
      ...(this.cluster === undefined
        ? {}
        : { clickhouse_settings: { insert_distributed_sync: 1 } }),
    });
    for await (const _chunk of result.stream) {
      // An INSERT answers with an empty body; reading it to the end frees the connection.
    }
  }

  /** Creates the database and tables if missing. Safe to run on every start. */
  async ensureSchema(): Promise<void> {
    const statements =
      this.cluster === undefined
        ? schemaStatements(this.database)
        : clusterSchemaStatements(this.database, this.cluster);
    for (const query of statements) await this.#client.command({ query });
  }

  /**
   * Inserts finished windows. Idempotent: a replayed batch re-inserts identical rows that
   * ReplacingMergeTree collapses on (device_id, window_start); reads through FINAL see one
   * row. Resolves only after ClickHouse has acknowledged the insert.
   */
  async insertAggregates(rows: readonly AggregateInsert[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#insert('sensor_aggregates', AGGREGATE_TABLE_COLUMNS, rows, aggregateToClickHouse);
  }

  /** Writes the seed-shaped rows (one per device per window, time = window_start). */
  async insertSensorsLocal(rows: readonly AggregateInsert[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#insert('sensors_local', SENSORS_LOCAL_COLUMNS, rows, sensorsLocalFromAggregate);
  }

  /** Inserts alerts; keyed by (device_id, event_time_ms, kind, source), so replays collapse. */
  async insertAlerts(alerts: readonly AlertInsert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.#insert('sensor_alerts', ALERT_COLUMNS, alerts, alertToClickHouse);
  }

  /** Current rows through FINAL (one per key), ordered by device_id, window_start. */
  async readAggregatesFinal(filter: AggregateFilter = {}): Promise<StoredAggregate[]> {
    const select = AGGREGATE_COLUMNS.map((c) =>
      c === 'window_start' || c === 'window_end' ? `toUInt32(${c}) AS ${c}_s` : c,
    ).join(', ');
    const limit = filter.limit !== undefined ? ` LIMIT ${integerLiteral(filter.limit)}` : '';
    const query = `SELECT ${select}, version FROM ${this.database}.sensor_aggregates FINAL
${whereClause('window_start', filter, 'seconds')}
ORDER BY device_id, window_start_s${limit}`;
    const result = await this.#client.query({ query, format: 'JSONEachRow' });
    const raw = await result.json<Record<string, unknown>>();
    return raw.map((r) => aggregateFromClickHouse(r, AGGREGATE_COLUMNS));
  }

  /** Current alerts through FINAL (one per reading and kind), ordered by their key. */
  async readAlertsFinal(filter: AlertFilter = {}): Promise<StoredAlert[]> {
    const query = `SELECT device_id, event_time_ms, kind, source, value, threshold, reading, version
FROM ${this.database}.sensor_alerts FINAL
${whereClause('event_time_ms', filter, 'ms')}
ORDER BY device_id, event_time_ms, kind, source, reading`;
    const result = await this.#client.query({ query, format: 'JSONEachRow' });
    return (await result.json<Record<string, unknown>>()).map(alertFromClickHouse);
  }

  /** Number of distinct (device_id, window_start) rows, through FINAL. */
  async countAggregatesFinal(filter: AggregateFilter = {}): Promise<number> {
    const query = `SELECT count() AS n FROM ${this.database}.sensor_aggregates FINAL ${whereClause('window_start', filter, 'seconds')}`;
    const rows = await (
      await this.#client.query({ query, format: 'JSONEachRow' })
    ).json<{ n: string | number }>();
    return Number(rows[0]?.n ?? 0);
  }
}
