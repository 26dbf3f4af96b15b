/**
 * Pure conversions between the pipeline's rows and ClickHouse JSONEachRow objects.
 * Times: our rows carry epoch ms; DateTime columns take epoch seconds (sent as JSON numbers,
 * which 18.16 and current releases both read as unix time, independent of server timezone).
 */
import { METRICS, type AggregateRow, type Alert } from '@iot/windows';
import { STATUS, sensorsLocalMax } from '@iot/schema';
import { aggregateColumnType } from './ddl.ts';

export type AggregateInsert = AggregateRow & { version?: number };
export type StoredAggregate = AggregateRow & { version: number };
export type AlertInsert = Alert & { version?: number };
export type StoredAlert = Alert & { version: number };

type JsonRow = Record<string, string | number>;

function seconds(ms: number, what: string): number {
  if (!Number.isSafeInteger(ms) || ms % 1000 !== 0) {
    throw new RangeError(
      `${what} = ${ms} ms is not a whole second; ClickHouse DateTime stores seconds`,
    );
  }
  return ms / 1000;
}

/** A sensor_aggregates row. Throws if window bounds are not whole seconds (a config error). */
export function aggregateToClickHouse(row: AggregateInsert): JsonRow {
  const out: JsonRow = { ...row, version: row.version ?? 0 };
  out.window_start = seconds(row.window_start, 'window_start');
  out.window_end = seconds(row.window_end, 'window_end');
  return out;
}

/**
 * The seed's sensors_local row for a finished window: time = window_start; readings are the
 * window averages; motion_detected = 1 if any reading saw motion; status = the most frequent
 * status (ties → the more severe: error > maintenance > offline > online); error and network
 * counters are window totals (error_count saturated at its UInt32 column's maximum); location is the latest reading's.
 */
const ERROR_COUNT_MAX = sensorsLocalMax('error_count');

export function sensorsLocalFromAggregate(row: AggregateRow): JsonRow {
  const out: JsonRow = {
    device_id: row.device_id,
    device_type: row.device_type,
    customer_id: row.customer_id,
    site_id: row.site_id,
    latitude: row.latitude,
    longitude: row.longitude,
    altitude: row.altitude,
    time: seconds(row.window_start, 'window_start'),
  };
  for (const m of METRICS) out[m] = row[`${m}_avg`];
  out.motion_detected = row.motion_count > 0 ? 1 : 0;
  out.status = dominantStatus(row);
  // Each reading's count fits the UInt32 column, a window's total may not: it saturates here
  // rather than have ClickHouse refuse the batch (sensor_aggregates keeps the exact UInt64).
  out.error_count = Math.min(row.error_count, ERROR_COUNT_MAX);
  out.packets_sent = row.packets_sent;
  out.packets_received = row.packets_received;
  out.bytes_sent = row.bytes_sent;
  out.bytes_received = row.bytes_received;
  return out;
}

export function dominantStatus(
  row: Pick<
    AggregateRow,
    'status_online' | 'status_offline' | 'status_maintenance' | 'status_error'
  >,
): number {
  const ranked: [number, number][] = [
    [STATUS.ERROR, row.status_error],
    [STATUS.MAINTENANCE, row.status_maintenance],
    [STATUS.OFFLINE, row.status_offline],
    [STATUS.ONLINE, row.status_online],
  ];
  let best = ranked[0] as [number, number];
  for (const r of ranked) if (r[1] > best[1]) best = r;
  return best[0];
}

export function alertToClickHouse(alert: AlertInsert): JsonRow {
  if (!Number.isSafeInteger(alert.event_time) || alert.event_time < 0) {
    throw new RangeError(`alert event_time = ${alert.event_time} is not an epoch-ms integer`);
  }
  return {
    device_id: alert.device_id,
    event_time: Math.floor(alert.event_time / 1000),
    event_time_ms: alert.event_time,
    kind: alert.kind,
    source: alert.source,
    value: alert.value,
    threshold: alert.threshold,
    reading: alert.reading ?? '',
    version: alert.version ?? 0,
  };
}

/** UInt64 arrives quoted in JSON by default; everything we store fits a double exactly. */
function num(value: unknown, column: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || Number.isNaN(n))
    throw new Error(`ClickHouse returned ${JSON.stringify(value)} for ${column}`);
  return n;
}

/** A row read back with `window_start_s`/`window_end_s` (toUInt32) in place of the DateTimes. */
export function aggregateFromClickHouse(
  raw: Record<string, unknown>,
  columns: readonly string[],
): StoredAggregate {
  const out: Record<string, string | number> = {};
  for (const c of columns) {
    if (c === 'window_start' || c === 'window_end') out[c] = num(raw[`${c}_s`], c) * 1000;
    else if (aggregateColumnType(c) === 'String') out[c] = String(raw[c]);
    else out[c] = num(raw[c], c);
  }
  out.version = num(raw.version, 'version');
  return out as StoredAggregate;
}

export function alertFromClickHouse(raw: Record<string, unknown>): StoredAlert {
  return {
    device_id: String(raw.device_id),
    event_time: num(raw.event_time_ms, 'event_time_ms'),
    kind: String(raw.kind) as Alert['kind'],
    source: String(raw.source) as Alert['source'],
    value: num(raw.value, 'value'),
    threshold: num(raw.threshold, 'threshold'),
    ...(raw.reading === undefined || raw.reading === '' ? {} : { reading: String(raw.reading) }),
    version: num(raw.version, 'version'),
  };
}
