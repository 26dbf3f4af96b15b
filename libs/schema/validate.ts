/**
 * Validation of a mapped SensorRecord: what the pipeline refuses, and why. Only values that
 * cannot be a real reading or cannot be stored are refused; everything the seed would have
 * written and that is physically possible passes.
 */
import { accept, reject, type Result } from './result.ts';
import { COUNTER_FIELDS, FLOAT_FIELDS, type FloatField, type SensorRecord } from './record.ts';
import { isStatusCode } from './status.ts';

/** Inclusive bounds per float field; any float beyond ±MAX_MAGNITUDE is refused too. */
export const LIMITS: Readonly<Partial<Record<FloatField, readonly [number, number]>>> = {
  latitude: [-90, 90],
  longitude: [-180, 180],
  temperature: [-273.15, 1e6],
  humidity: [0, 100],
  pressure: [0, 1e9],
  battery_level: [0, 100],
};

/** Guard against absurd magnitudes so window sums stay finite and exact (see @iot/windows). */
export const MAX_MAGNITUDE = 1e12;

/** ClickHouse DateTime is UInt32 seconds: event times must fall in [1970, 2106). */
export const MAX_EVENT_TIME_MS = 4_294_967_295_000;

export const MAX_STRING_LENGTH = 256;

/**
 * Largest counter (error/packet/byte count) one reading may carry. Far below 2^53 so a
 * window's totals stay exact integers in JS doubles (and inside avsc's safe-long range).
 */
export const MAX_COUNTER = 1e12;

/**
 * Check a mapped record. Returns the same record (with -0 normalised to 0, so that
 * serialisation round-trips cannot change a result) or the first problem found.
 */
export function validateRecord(record: SensorRecord): Result<SensorRecord> {
  if (record.device_id.length === 0) return reject('missing_id', 'device_id is empty');
  for (const field of ['device_id', 'device_type', 'customer_id', 'site_id'] as const) {
    if (record[field].length > MAX_STRING_LENGTH) {
      return reject(
        'out_of_range',
        `${field} is ${record[field].length} characters; at most ${MAX_STRING_LENGTH} allowed`,
      );
    }
  }
  if (record.device_type.length === 0) return reject('unknown_sensor_type', 'device_type is empty');
  if (record.customer_id.length === 0) return reject('bad_field', 'customer_id is empty');
  if (record.site_id.length === 0) return reject('bad_field', 'site_id is empty');

  for (const field of FLOAT_FIELDS) {
    const value = record[field];
    if (!Number.isFinite(value)) return reject('nan_value', `${field} is ${value}`);
    const [lo, hi] = LIMITS[field] ?? [-MAX_MAGNITUDE, MAX_MAGNITUDE];
    if (value < lo || value > hi || Math.abs(value) > MAX_MAGNITUDE) {
      return reject('out_of_range', `${field} = ${value} is outside [${lo}, ${hi}]`);
    }
    if (value === 0) record[field] = 0; // -0 → 0
  }
  if (record.motion_detected !== 0 && record.motion_detected !== 1) {
    return reject('out_of_range', `motion_detected = ${record.motion_detected}; expected 0 or 1`);
  }
  if (!isStatusCode(record.status)) {
    return reject(
      'bad_status',
      `status = ${record.status}; expected 1 online, 2 offline, 3 maintenance, 4 error`,
    );
  }
  for (const field of COUNTER_FIELDS) {
    const value = record[field];
    if (Number.isNaN(value)) return reject('nan_value', `${field} is NaN`);
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_COUNTER) {
      return reject(
        'out_of_range',
        `${field} = ${value}; expected an integer in [0, ${MAX_COUNTER}]`,
      );
    }
  }
  const t = record.event_time;
  if (Number.isNaN(t)) return reject('nan_value', 'event_time is NaN');
  if (!Number.isSafeInteger(t) || t < 0 || t >= MAX_EVENT_TIME_MS) {
    return reject('out_of_range', `event_time = ${t} ms is not an epoch-ms time in [1970, 2106)`);
  }
  return accept(record);
}
