/**
 * What part of ClickHouse belongs to a generated stream: its devices and its windows. The verifier reads only that, so rows of other runs (other
 * devices, other times) in the same database do not count as extra.
 */
import { eventTimeBounds, resolveParams, type GeneratorParams } from '@iot/loadgen';
import { windowStart } from '@iot/windows';

/**
 * ClickHouse's default max_query_size is 256 KiB: above this many devices the id list is
 * left out of the SQL and applied to the rows read instead.
 */
export const MAX_DEVICES_IN_SQL = 5_000;

export interface Scope {
  /** Every device id the stream can produce, "sensor_<id>". */
  deviceIds: string[];
  /** First window start that can hold a record of the stream (inclusive), epoch ms. */
  fromMs: number;
  /** End of the last such window (exclusive bound on window_start), epoch ms. */
  toMs: number;
}

/**
 * The windows are those of the expected rows (first to last); with no expected row, those
 * the stream's event times span. Not the span of every event time: late messages reach
 * a minute back, into windows an earlier run on the same devices may have written.
 */
export function streamScope(
  params: Partial<GeneratorParams>,
  windowSizeMs: number,
  expectedRows: readonly { window_start: number }[],
): Scope {
  const p = resolveParams(params);
  const deviceIds = Array.from({ length: p.devices }, (_, i) => `sensor_${p.firstSensorId + i}`);
  if (expectedRows.length > 0) {
    let first = Infinity;
    let last = -Infinity;
    for (const r of expectedRows) {
      first = Math.min(first, r.window_start);
      last = Math.max(last, r.window_start);
    }
    return { deviceIds, fromMs: first, toMs: last + windowSizeMs };
  }
  const { fromMs, toMs } = eventTimeBounds(p);
  return {
    deviceIds,
    fromMs: windowStart(fromMs, windowSizeMs),
    toMs: windowStart(toMs - 1, windowSizeMs) + windowSizeMs,
  };
}

/** The ClickHouse filter for a scope: device ids only when the list fits in a query. */
export function scopeFilter(scope: Scope): {
  deviceIds?: string[];
  fromMs: number;
  toMs: number;
} {
  return scope.deviceIds.length <= MAX_DEVICES_IN_SQL
    ? { deviceIds: scope.deviceIds, fromMs: scope.fromMs, toMs: scope.toMs }
    : { fromMs: scope.fromMs, toMs: scope.toMs };
}
