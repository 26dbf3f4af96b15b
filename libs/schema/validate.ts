/**
 * Validation of a mapped SensorRecord: what the pipeline refuses, and why. Only values that
 * cannot be a real reading or cannot be stored are refused; everything the seed would have
 * written and that is physically possible passes.
 */
import { accept, reject, type Result } from './result.ts';
import { INTEGER_MAX, sensorsLocalMax } from './columns.ts';
import {
  COUNTER_FIELDS,
  FLOAT_FIELDS,
  type CounterField,
  type FloatField,
  type SensorRecord,
} from './record.ts';
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

/** The longest window the aggregator accepts (its WINDOW_SIZE is at most 1h). */
export const MAX_WINDOW_MS = 3_600_000;

/**
 * ClickHouse DateTime is UInt32 seconds (until 2106-02-07): an event time must be earlier
 * than that by a whole window, so the window_end of its window still fits. Exclusive.
 */
export const MAX_EVENT_TIME_MS = INTEGER_MAX.DateTime * 1000 - MAX_WINDOW_MS;

/**
 * Longest id or label in UTF-16 units: a cheap bound every record gets. Text that comes from
 * outside (legacy JSON) is held to text.ts's stricter rules (256 UTF-8 bytes, valid
 * Unicode, ...) where it enters; scanning every string of every record here cost ~100 ns.
 */
export const MAX_STRING_LENGTH = 256;

/**
 * Largest counter (error/packet/byte count) one reading may carry. Far below 2^53 so a
 * window's totals stay exact integers in JS doubles (and inside avsc's safe-long range).
 */
export const MAX_COUNTER = 1e12;

/**
 * Inclusive upper bound of each counter: MAX_COUNTER or what its sensors_local column holds,
 * whichever is less (error_count is UInt32 there).
 */
export const COUNTER_LIMITS: Readonly<Record<CounterField, number>> = Object.fromEntries(
  COUNTER_FIELDS.map((f) => [f, Math.min(MAX_COUNTER, sensorsLocalMax(f))]),
) as Record<CounterField, number>;

/**
 * Check a mapped record. Returns the same record (with -0 normalised to 0, so that
 * serialisation round-trips cannot change a result) or the first problem found.
 */
export function validateRecord(record: SensorRecord): Result<SensorRecord> {
  if (isPlainlyValid(record)) {
    normaliseNegativeZeros(record);
    return accept(record);
  }
  return firstProblem(record);
}

// Bounds of each float field as constants, for the fast path below.
const bound = (field: FloatField): readonly [number, number] => {
  const [lo, hi] = LIMITS[field] ?? [-MAX_MAGNITUDE, MAX_MAGNITUDE];
  return [Math.max(lo, -MAX_MAGNITUDE), Math.min(hi, MAX_MAGNITUDE)];
};
const [LAT_LO, LAT_HI] = bound('latitude');
const [LON_LO, LON_HI] = bound('longitude');
const [ALT_LO, ALT_HI] = bound('altitude');
const [TEMP_LO, TEMP_HI] = bound('temperature');
const [HUM_LO, HUM_HI] = bound('humidity');
const [PRES_LO, PRES_HI] = bound('pressure');
const [CO2_LO, CO2_HI] = bound('co2_level');
const [NOISE_LO, NOISE_HI] = bound('noise_level');
const [LIGHT_LO, LIGHT_HI] = bound('light_level');
const [BATT_LO, BATT_HI] = bound('battery_level');
const [SIG_LO, SIG_HI] = bound('signal_strength');
const [MEM_LO, MEM_HI] = bound('memory_usage');
const [CPU_LO, CPU_HI] = bound('cpu_usage');

const okString = (s: string): boolean => s.length > 0 && s.length <= MAX_STRING_LENGTH;
const okCounter = (v: number, max: number): boolean =>
  Number.isSafeInteger(v) && v >= 0 && v <= max;
const ERRORS_MAX = COUNTER_LIMITS.error_count;
const PACKETS_SENT_MAX = COUNTER_LIMITS.packets_sent;
const PACKETS_RECEIVED_MAX = COUNTER_LIMITS.packets_received;
const BYTES_SENT_MAX = COUNTER_LIMITS.bytes_sent;
const BYTES_RECEIVED_MAX = COUNTER_LIMITS.bytes_received;

/**
 * True only when every rule of firstProblem passes. Every record goes through validation
 * (ingest, and the aggregator again), and the rules written as a loop over field names cost
 * ~0.8 µs a record in keyed loads, which showed in both stages' profiles; this path reads
 * each field by name. A NaN fails every comparison, so it falls to firstProblem, which says
 * what is wrong. A test pins the two to the same verdicts.
 */
function isPlainlyValid(r: SensorRecord): boolean {
  return (
    okString(r.device_id) &&
    okString(r.device_type) &&
    okString(r.customer_id) &&
    okString(r.site_id) &&
    r.latitude >= LAT_LO &&
    r.latitude <= LAT_HI &&
    r.longitude >= LON_LO &&
    r.longitude <= LON_HI &&
    r.altitude >= ALT_LO &&
    r.altitude <= ALT_HI &&
    r.temperature >= TEMP_LO &&
    r.temperature <= TEMP_HI &&
    r.humidity >= HUM_LO &&
    r.humidity <= HUM_HI &&
    r.pressure >= PRES_LO &&
    r.pressure <= PRES_HI &&
    r.co2_level >= CO2_LO &&
    r.co2_level <= CO2_HI &&
    r.noise_level >= NOISE_LO &&
    r.noise_level <= NOISE_HI &&
    r.light_level >= LIGHT_LO &&
    r.light_level <= LIGHT_HI &&
    r.battery_level >= BATT_LO &&
    r.battery_level <= BATT_HI &&
    r.signal_strength >= SIG_LO &&
    r.signal_strength <= SIG_HI &&
    r.memory_usage >= MEM_LO &&
    r.memory_usage <= MEM_HI &&
    r.cpu_usage >= CPU_LO &&
    r.cpu_usage <= CPU_HI &&
    (r.motion_detected === 0 || r.motion_detected === 1) &&
    isStatusCode(r.status) &&
    okCounter(r.error_count, ERRORS_MAX) &&
    okCounter(r.packets_sent, PACKETS_SENT_MAX) &&
    okCounter(r.packets_received, PACKETS_RECEIVED_MAX) &&
    okCounter(r.bytes_sent, BYTES_SENT_MAX) &&
    okCounter(r.bytes_received, BYTES_RECEIVED_MAX) &&
    Number.isSafeInteger(r.event_time) &&
    r.event_time >= 0 &&
    r.event_time < MAX_EVENT_TIME_MS
  );
}

/** -0 → 0 in every numeric field (x + 0 is x, except that -0 + 0 is +0). */
function normaliseNegativeZeros(r: SensorRecord): void {
  r.motion_detected += 0;
  r.error_count += 0;
  r.packets_sent += 0;
  r.packets_received += 0;
  r.bytes_sent += 0;
  r.bytes_received += 0;
  r.event_time += 0;
  r.latitude += 0;
  r.longitude += 0;
  r.altitude += 0;
  r.temperature += 0;
  r.humidity += 0;
  r.pressure += 0;
  r.co2_level += 0;
  r.noise_level += 0;
  r.light_level += 0;
  r.battery_level += 0;
  r.signal_strength += 0;
  r.memory_usage += 0;
  r.cpu_usage += 0;
}

/** The rules one by one: the first problem found, or the record (with -0 normalised). */
export function firstProblem(record: SensorRecord): Result<SensorRecord> {
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
    if (!Number.isSafeInteger(value) || value < 0 || value > COUNTER_LIMITS[field]) {
      return reject(
        'out_of_range',
        `${field} = ${value}; expected an integer in [0, ${COUNTER_LIMITS[field]}]`,
      );
    }
  }
  const t = record.event_time;
  if (Number.isNaN(t)) return reject('nan_value', 'event_time is NaN');
  if (!Number.isSafeInteger(t) || t < 0 || t >= MAX_EVENT_TIME_MS) {
    return reject(
      'out_of_range',
      `event_time = ${t} ms is not an epoch-ms time in [1970, 2106-02-07)`,
    );
  }
  normaliseNegativeZeros(record);
  return accept(record);
}
