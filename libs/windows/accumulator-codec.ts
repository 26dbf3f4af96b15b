/**
 * Compact JSON for a WindowAccumulator in the Redis state backend. Positional arrays, no
 * key names (≈ 300 bytes for a typical window instead of ≈ 1 KB):
 *   [1, device_id, window_start, window_end, count,
 *    [event_time, device_type, customer_id, site_id, latitude, longitude, altitude] | null,
 *    [[min, max, ...partials] per METRICS entry],
 *    [value per COUNTERS entry]]
 * JSON numbers round-trip doubles exactly, so a restored accumulator finalizes to the same
 * bits. min/max are null while the window is empty (JSON has no Infinity).
 */
import { COUNTERS, METRICS, emptyAccumulator, type WindowAccumulator } from './accumulator.ts';

const FORMAT = 1;

export function serializeAccumulator(acc: WindowAccumulator): string {
  const m = acc.meta;
  return JSON.stringify([
    FORMAT,
    acc.device_id,
    acc.window_start,
    acc.window_end,
    acc.count,
    m === null
      ? null
      : [
          m.event_time,
          m.device_type,
          m.customer_id,
          m.site_id,
          m.latitude,
          m.longitude,
          m.altitude,
        ],
    METRICS.map((name) => {
      const s = acc.metrics[name];
      return acc.count === 0 ? [null, null] : [s.min, s.max, ...s.partials];
    }),
    COUNTERS.map((name) => acc.counters[name]),
  ]);
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Parses and checks a serialized accumulator. Corrupt state is reported, never thrown. */
export function deserializeAccumulator(text: string): Decoded<WindowAccumulator> {
  const bad = (why: string): Decoded<WindowAccumulator> => ({
    ok: false,
    error: `corrupt window state: ${why}`,
  });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return bad(err instanceof Error ? err.message : String(err));
  }
  if (!Array.isArray(v) || v.length !== 8) return bad('expected an array of 8 entries');
  const [format, deviceId, start, end, count, meta, metrics, counters] = v as unknown[];
  if (format !== FORMAT) return bad(`format ${String(format)}, this build reads ${FORMAT}`);
  if (!isStr(deviceId) || !Number.isSafeInteger(start) || !Number.isSafeInteger(end))
    return bad('bad key');
  if (!Number.isSafeInteger(count) || (count as number) < 0) return bad('bad count');
  if ((end as number) <= (start as number)) return bad('window end before start');
  let acc: WindowAccumulator;
  try {
    acc = emptyAccumulator(deviceId, start as number, (end as number) - (start as number));
  } catch (err) {
    return bad(err instanceof Error ? err.message : String(err));
  }
  acc.count = count as number;
  if (meta !== null) {
    if (!Array.isArray(meta) || meta.length !== 7) return bad('bad metadata');
    const [t, type, customer, site, lat, lon, alt] = meta as unknown[];
    if (!Number.isSafeInteger(t) || !isStr(type) || !isStr(customer) || !isStr(site))
      return bad('bad metadata');
    if (!isNum(lat) || !isNum(lon) || !isNum(alt)) return bad('bad metadata');
    acc.meta = {
      event_time: t as number,
      device_type: type,
      customer_id: customer,
      site_id: site,
      latitude: lat,
      longitude: lon,
      altitude: alt,
    };
  }
  if ((acc.count === 0) !== (acc.meta === null)) return bad('count and metadata disagree');
  if (!Array.isArray(metrics) || metrics.length !== METRICS.length) return bad('bad metrics');
  for (let i = 0; i < METRICS.length; i++) {
    const entry: unknown = metrics[i];
    if (!Array.isArray(entry) || entry.length < 2) return bad(`bad ${METRICS[i]}`);
    if (acc.count === 0) continue;
    const [min, max, ...partials] = entry as unknown[];
    if (!isNum(min) || !isNum(max) || !partials.every(isNum)) return bad(`bad ${METRICS[i]}`);
    acc.metrics[METRICS[i]] = { min, max, partials: partials as number[] };
  }
  if (!Array.isArray(counters) || counters.length !== COUNTERS.length) return bad('bad counters');
  for (let i = 0; i < COUNTERS.length; i++) {
    const c: unknown = counters[i];
    if (!Number.isSafeInteger(c) || (c as number) < 0) return bad(`bad ${COUNTERS[i]}`);
    acc.counters[COUNTERS[i]] = c as number;
  }
  return { ok: true, value: acc };
}
