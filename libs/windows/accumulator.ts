/**
 * Per-device, per-window aggregation: everything the seed's SensorAggregator tracked, plus
 * memory/cpu usage and per-reading alert counts.
 *
 * Determinism: a window's AggregateRow depends only on the multiset of its records, never
 * on their order or on how partial accumulators were merged. Sums are exact (exact-sum.ts)
 * and rounded once, min/max/counts are order-free, and device metadata comes from the
 * reading with the greatest event time (ties: the greatest metadata tuple). So the verifier
 * compares rows exactly, field for field.
 */
import type { SensorRecord } from '@iot/schema';
import { DEFAULT_ALERT_RULES, type AlertRules } from './alerts.ts';
import { addExact, mergeExact, sumOf } from './exact-sum.ts';
import { windowStart } from './window.ts';

/** Metrics with sum/min/max/avg/count per window, in column order. */
export const METRICS = [
  'temperature',
  'humidity',
  'pressure',
  'co2_level',
  'noise_level',
  'light_level',
  'battery_level',
  'signal_strength',
  'memory_usage',
  'cpu_usage',
] as const;

export type MetricName = (typeof METRICS)[number];

/** Integer totals per window, in column order. */
export const COUNTERS = [
  'motion_count',
  'error_count',
  'status_online',
  'status_offline',
  'status_maintenance',
  'status_error',
  'packets_sent',
  'packets_received',
  'bytes_sent',
  'bytes_received',
  'alerts_temperature',
  'alerts_humidity',
  'alerts_battery',
] as const;

export type CounterName = (typeof COUNTERS)[number];

/** Device metadata columns carried into the row (from the latest reading). */
export const METADATA = [
  'device_type',
  'customer_id',
  'site_id',
  'latitude',
  'longitude',
  'altitude',
] as const;

export interface DeviceMetadata {
  device_type: string;
  customer_id: string;
  site_id: string;
  latitude: number;
  longitude: number;
  altitude: number;
}

export interface MetricState {
  /** Exact running sum as non-overlapping partials (see exact-sum.ts). */
  partials: number[];
  min: number;
  max: number;
}

export interface WindowAccumulator {
  device_id: string;
  window_start: number;
  window_end: number;
  count: number;
  /** Metadata of the latest reading so far and its event time; null while empty. */
  meta: (DeviceMetadata & { event_time: number }) | null;
  metrics: Record<MetricName, MetricState>;
  counters: Record<CounterName, number>;
}

type MetricColumns = {
  [K in MetricName as `${K}_min` | `${K}_max` | `${K}_avg` | `${K}_sum` | `${K}_count`]: number;
};

/** One finished window of one device: a row of benchmark.sensor_aggregates (minus version). */
export type AggregateRow = {
  device_id: string;
  /** Epoch ms, inclusive. */
  window_start: number;
  /** Epoch ms, exclusive. */
  window_end: number;
  count: number;
} & DeviceMetadata &
  MetricColumns &
  Record<CounterName, number>;

/** Every AggregateRow column, in table order. */
export const AGGREGATE_COLUMNS: readonly (keyof AggregateRow)[] = [
  'device_id',
  ...METADATA,
  'window_start',
  'window_end',
  'count',
  ...METRICS.flatMap(
    (m) => [`${m}_min`, `${m}_max`, `${m}_avg`, `${m}_sum`, `${m}_count`] as const,
  ),
  ...COUNTERS,
];

export function emptyAccumulator(
  deviceId: string,
  start: number,
  sizeMs: number,
): WindowAccumulator {
  if (windowStart(start, sizeMs) !== start) {
    throw new RangeError(`window start ${start} is not aligned to the ${sizeMs} ms window size`);
  }
  const metrics = {} as Record<MetricName, MetricState>;
  for (const m of METRICS) metrics[m] = { partials: [], min: Infinity, max: -Infinity };
  const counters = {} as Record<CounterName, number>;
  for (const c of COUNTERS) counters[c] = 0;
  return {
    device_id: deviceId,
    window_start: start,
    window_end: start + sizeMs,
    count: 0,
    meta: null,
    metrics,
    counters,
  };
}

/** Accumulator for the window that `record` belongs to. */
export function accumulatorFor(record: SensorRecord, sizeMs: number): WindowAccumulator {
  return emptyAccumulator(record.device_id, windowStart(record.event_time, sizeMs), sizeMs);
}

type Meta = NonNullable<WindowAccumulator['meta']>;

/** Total order on metadata: later event time wins, then the greater tuple. */
function newerMeta(a: Meta, b: Meta): boolean {
  if (a.event_time !== b.event_time) return a.event_time > b.event_time;
  for (const k of METADATA) {
    if (a[k] !== b[k]) return a[k] > b[k];
  }
  return false;
}

function metaOf(r: SensorRecord): Meta {
  return {
    device_type: r.device_type,
    customer_id: r.customer_id,
    site_id: r.site_id,
    latitude: r.latitude,
    longitude: r.longitude,
    altitude: r.altitude,
    event_time: r.event_time,
  };
}

/**
 * Adds one validated record. Mutates and returns `acc` (the hot path runs 30k times a
 * second). Throws if the record belongs to another device or window: that is a routing bug.
 */
export function addRecord(
  acc: WindowAccumulator,
  record: SensorRecord,
  rules: AlertRules = DEFAULT_ALERT_RULES,
): WindowAccumulator {
  if (record.device_id !== acc.device_id) {
    throw new Error(`record of ${record.device_id} added to the window of ${acc.device_id}`);
  }
  if (record.event_time < acc.window_start || record.event_time >= acc.window_end) {
    throw new RangeError(
      `record at ${record.event_time} is outside window [${acc.window_start}, ${acc.window_end}) of ${acc.device_id}`,
    );
  }
  acc.count++;
  // Each metric by name, not in a loop over METRICS: keyed access with ten different keys
  // goes megamorphic in V8, and this runs for every record.
  const m = acc.metrics;
  addMetric(m.temperature, record.temperature);
  addMetric(m.humidity, record.humidity);
  addMetric(m.pressure, record.pressure);
  addMetric(m.co2_level, record.co2_level);
  addMetric(m.noise_level, record.noise_level);
  addMetric(m.light_level, record.light_level);
  addMetric(m.battery_level, record.battery_level);
  addMetric(m.signal_strength, record.signal_strength);
  addMetric(m.memory_usage, record.memory_usage);
  addMetric(m.cpu_usage, record.cpu_usage);
  const c = acc.counters;
  c.motion_count += record.motion_detected;
  c.error_count += record.error_count;
  switch (record.status) {
    case 1:
      c.status_online++;
      break;
    case 2:
      c.status_offline++;
      break;
    case 3:
      c.status_maintenance++;
      break;
    case 4:
      c.status_error++;
      break;
  }
  c.packets_sent += record.packets_sent;
  c.packets_received += record.packets_received;
  c.bytes_sent += record.bytes_sent;
  c.bytes_received += record.bytes_received;
  if (record.temperature > rules.temperatureHigh) c.alerts_temperature++;
  if (record.humidity > rules.humidityHigh) c.alerts_humidity++;
  if (record.battery_level < rules.batteryLow) c.alerts_battery++;
  const meta = acc.meta;
  if (meta === null) acc.meta = metaOf(record);
  else if (recordIsNewer(record, meta)) {
    // In place: the accumulator owns its metadata object (merge and restore copy it).
    meta.device_type = record.device_type;
    meta.customer_id = record.customer_id;
    meta.site_id = record.site_id;
    meta.latitude = record.latitude;
    meta.longitude = record.longitude;
    meta.altitude = record.altitude;
    meta.event_time = record.event_time;
  }
  return acc;
}

function addMetric(s: MetricState, v: number): void {
  addExact(s.partials, v);
  if (v < s.min) s.min = v;
  if (v > s.max) s.max = v;
}

/** newerMeta(metaOf(r), m) without building the object. */
function recordIsNewer(r: SensorRecord, m: Meta): boolean {
  if (r.event_time !== m.event_time) return r.event_time > m.event_time;
  return newerMeta(metaOf(r), m);
}

/** A new accumulator holding both inputs' records (same device and window). Inputs untouched. */
export function mergeAccumulators(a: WindowAccumulator, b: WindowAccumulator): WindowAccumulator {
  if (
    a.device_id !== b.device_id ||
    a.window_start !== b.window_start ||
    a.window_end !== b.window_end
  ) {
    throw new Error(
      `cannot merge window ${a.device_id}@${a.window_start} with ${b.device_id}@${b.window_start}: different keys`,
    );
  }
  const out = emptyAccumulator(a.device_id, a.window_start, a.window_end - a.window_start);
  out.count = a.count + b.count;
  for (const m of METRICS) {
    const s = out.metrics[m];
    s.partials = [...a.metrics[m].partials];
    mergeExact(s.partials, b.metrics[m].partials);
    s.min = Math.min(a.metrics[m].min, b.metrics[m].min);
    s.max = Math.max(a.metrics[m].max, b.metrics[m].max);
  }
  for (const c of COUNTERS) out.counters[c] = a.counters[c] + b.counters[c];
  if (a.meta === null) out.meta = b.meta && { ...b.meta };
  else if (b.meta === null) out.meta = { ...a.meta };
  else out.meta = { ...(newerMeta(b.meta, a.meta) ? b.meta : a.meta) };
  return out;
}

/** The window's result row. Throws on an empty accumulator (no window without readings). */
export function finalizeWindow(acc: WindowAccumulator): AggregateRow {
  if (acc.count === 0 || acc.meta === null) {
    throw new Error(
      `window ${acc.device_id}@${acc.window_start} has no readings; nothing to finalize`,
    );
  }
  const row: Record<string, string | number> = {
    device_id: acc.device_id,
    device_type: acc.meta.device_type,
    customer_id: acc.meta.customer_id,
    site_id: acc.meta.site_id,
    latitude: acc.meta.latitude,
    longitude: acc.meta.longitude,
    altitude: acc.meta.altitude,
    window_start: acc.window_start,
    window_end: acc.window_end,
    count: acc.count,
  };
  for (const m of METRICS) {
    const s = acc.metrics[m];
    const sum = sumOf(s.partials);
    row[`${m}_min`] = s.min;
    row[`${m}_max`] = s.max;
    row[`${m}_avg`] = sum / acc.count;
    row[`${m}_sum`] = sum;
    row[`${m}_count`] = acc.count;
  }
  for (const c of COUNTERS) row[c] = acc.counters[c];
  return row as AggregateRow;
}
