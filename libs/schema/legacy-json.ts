/**
 * Legacy JSON readings (the seed's backward-compatible path). Both the old camelCase names
 * (sensorId, sensorType, batteryLevel, timestamp) and the new sensors_local names
 * (device_id, device_type, battery_level, event_time, ...) are accepted; when both are
 * present the new name wins. Numbers may arrive as numbers or numeric strings, status as a
 * code or a name ("online" → 1), motion_detected as 0/1 or a boolean. Absent or null fields
 * take RECORD_DEFAULTS; absent customer/site take the same defaults as AVRO readings.
 */
import { reject, type Rejection, type Result } from './result.ts';
import {
  COUNTER_FIELDS,
  DEFAULT_CUSTOMER_ID,
  FLOAT_FIELDS,
  RECORD_DEFAULTS,
  SITE_COUNT,
  deviceIdFor,
  siteIdFor,
  type CounterField,
  type FloatField,
  type SensorRecord,
} from './record.ts';
import { sensorTypeName } from './sensor-types.ts';
import { parseStatus } from './status.ts';
import { textProblem } from './text.ts';
import { validateRecord } from './validate.ts';

/** Larger payloads are refused before parsing: no reading needs more. */
export const MAX_JSON_BYTES = 64 * 1024;
/** Deeper nesting is refused before parsing: a reading is one flat object. */
export const MAX_JSON_DEPTH = 16;

/**
 * Where the bytes nest objects/arrays deeper than `max` (outside strings), or -1. A scan
 * instead of JSON.parse's own limits: 64 KiB of `[` is 65,536 levels, which parses into a
 * tree nobody reads and is refused here in one pass without allocating.
 */
function tooDeepAt(buf: Uint8Array, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}

const ALIASES: Readonly<Record<FloatField | CounterField, readonly string[]>> = {
  latitude: ['latitude', 'lat'],
  longitude: ['longitude', 'lon', 'lng'],
  altitude: ['altitude', 'alt'],
  temperature: ['temperature'],
  humidity: ['humidity'],
  pressure: ['pressure'],
  co2_level: ['co2_level', 'co2Level'],
  noise_level: ['noise_level', 'noiseLevel'],
  light_level: ['light_level', 'lightLevel'],
  battery_level: ['battery_level', 'batteryLevel'],
  signal_strength: ['signal_strength', 'signalStrength'],
  memory_usage: ['memory_usage', 'memoryUsage'],
  cpu_usage: ['cpu_usage', 'cpuUsage'],
  error_count: ['error_count', 'errorCount'],
  packets_sent: ['packets_sent', 'packetsSent'],
  packets_received: ['packets_received', 'packetsReceived'],
  bytes_sent: ['bytes_sent', 'bytesSent'],
  bytes_received: ['bytes_received', 'bytesReceived'],
};

type Json = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** First alias present with a non-null value, with the name it was found under. */
function pick(obj: Json, names: readonly string[]): { name: string; value: unknown } | undefined {
  for (const name of names) {
    const value = obj[name];
    if (value !== undefined && value !== null) return { name, value };
  }
  return undefined;
}

// Decimal only: Number() would also read "0x1A", "0b11", "0o7" and "" as numbers.
const DECIMAL_TEXT = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const NOT_A_NUMBER_TEXT = /^[+-]?(nan|inf|infinity)$/i;

function numberOf(name: string, value: unknown): number | Rejection {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (DECIMAL_TEXT.test(text)) return Number(text);
    // Not a number, but it says so: nan_value rather than bad_field.
    if (NOT_A_NUMBER_TEXT.test(text)) return Number.NaN;
  }
  return reject('bad_field', `${name} = ${JSON.stringify(value)}; expected a decimal number`);
}

const INTEGER_TEXT = /^[+-]?[0-9]+$/;
/** An integer id written the one way it prints ("7", "-3"; not "007", "+7" or " 7"). */
const CANONICAL_INTEGER = /^-?(0|[1-9][0-9]{0,15})$/;

/** device_id plus the integer sensorId behind it, when there is one (for site_id). */
function identify(obj: Json): { deviceId: string; sensorId: number | undefined } | Rejection {
  const found = pick(obj, ['device_id', 'deviceId', 'sensorId', 'sensor_id']);
  if (found === undefined) return reject('missing_id', 'neither device_id nor sensorId is present');
  const { name, value } = found;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      return reject('missing_id', `${name} = ${value} is not an integer id`);
    return { deviceId: deviceIdFor(value), sensorId: value };
  }
  if (typeof value !== 'string')
    return reject('missing_id', `${name} = ${JSON.stringify(value)} is not an id`);
  if (value.trim() === '') return reject('missing_id', `${name} is empty`);
  // Taken exactly (textProblem refuses surrounding blanks): trimming would merge devices.
  if (CANONICAL_INTEGER.test(value) && Number.isSafeInteger(Number(value)))
    return { deviceId: deviceIdFor(Number(value)), sensorId: Number(value) };
  const m = /^sensor_(-?[0-9]{1,15})$/.exec(value);
  return { deviceId: value, sensorId: m ? Number(m[1]) : undefined };
}

/** FNV-1a, so device ids that are not "sensor_<n>" still get a stable site. */
function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function deviceType(obj: Json): string | Rejection {
  const found = pick(obj, ['device_type', 'deviceType', 'sensorType', 'sensor_type']);
  if (found === undefined) return sensorTypeName(0);
  const { name, value } = found;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return sensorTypeName(value);
  if (typeof value === 'string') {
    if (INTEGER_TEXT.test(value) && Number.isSafeInteger(Number(value)))
      return sensorTypeName(Number(value));
    if (value.trim() !== '') return value;
  }
  return reject(
    'unknown_sensor_type',
    `${name} = ${JSON.stringify(value)}; expected a type code or name`,
  );
}

function label(obj: Json, names: readonly string[], fallback: string): string | Rejection {
  const found = pick(obj, names);
  if (found === undefined) return fallback;
  if (typeof found.value === 'string' && found.value.trim() !== '') return found.value;
  return reject(
    'bad_field',
    `${found.name} = ${JSON.stringify(found.value)}; expected a non-empty string`,
  );
}

const NAIVE_DATE_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
// ISO-8601 only: Date.parse alone reads "Sensor 12" as 2001-11-30.
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Event time from epoch ms (number or numeric string) or an ISO-8601 date (UTC if no zone). */
function eventTime(obj: Json, fallbackTimeMs: number): number | Rejection {
  const found = pick(obj, ['event_time', 'eventTime', 'timestamp', 'time']);
  if (found === undefined) return fallbackTimeMs;
  const { name, value } = found;
  if (typeof value === 'number') return Math.floor(value);
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^[0-9]+(\.[0-9]*)?$/.test(text)) return Math.floor(Number(text));
    const parsed = !ISO_DATE_TIME.test(text)
      ? Number.NaN
      : Date.parse(NAIVE_DATE_TIME.test(text) ? `${text.replace(' ', 'T')}Z` : text);
    if (!Number.isNaN(parsed)) return parsed;
  }
  return reject(
    'out_of_range',
    `${name} = ${JSON.stringify(value)}; expected epoch ms or an ISO-8601 time`,
  );
}

function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}

/** Parse a JSON reading into a validated SensorRecord. Never throws. */
export function decodeLegacyJson(buf: Uint8Array, fallbackTimeMs: number): Result<SensorRecord> {
  if (buf.byteLength > MAX_JSON_BYTES) {
    return reject(
      'undecodable',
      `JSON message is ${buf.byteLength} bytes; at most ${MAX_JSON_BYTES} accepted`,
    );
  }
  const deep = tooDeepAt(buf, MAX_JSON_DEPTH);
  if (deep >= 0) {
    return reject(
      'undecodable',
      `JSON nests deeper than ${MAX_JSON_DEPTH} levels (at byte ${deep}); a reading is one flat object`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(buf));
  } catch (err) {
    return reject(
      'undecodable',
      `not valid UTF-8 JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return reject('undecodable', 'JSON message is not an object');
  }
  return mapLegacyObject(parsed as Json, fallbackTimeMs);
}

/** The JSON mapping on an already parsed object (exported for tests and tools). */
export function mapLegacyObject(obj: Json, fallbackTimeMs: number): Result<SensorRecord> {
  const id = identify(obj);
  if (isRejection(id)) return id;
  const type = deviceType(obj);
  if (isRejection(type)) return type;
  const site = id.sensorId !== undefined ? siteIdFor(id.sensorId) : siteLabel(id.deviceId);
  const customerId = label(obj, ['customer_id', 'customerId'], DEFAULT_CUSTOMER_ID);
  if (isRejection(customerId)) return customerId;
  const siteId = label(obj, ['site_id', 'siteId'], site);
  if (isRejection(siteId)) return siteId;
  const time = eventTime(obj, fallbackTimeMs);
  if (isRejection(time)) return time;
  // Text from outside is held to text.ts's rules here, where it enters; AVRO's is generated.
  const text = [
    ['device_id', id.deviceId],
    ['device_type', type],
    ['customer_id', customerId],
    ['site_id', siteId],
  ] as const;
  for (const [field, value] of text) {
    const problem = textProblem(field, value);
    if (problem !== undefined) return problem;
  }

  const record: SensorRecord = {
    device_id: id.deviceId,
    device_type: type,
    customer_id: customerId,
    site_id: siteId,
    ...RECORD_DEFAULTS,
    event_time: time,
  };
  let measured = 0;
  for (const field of [...FLOAT_FIELDS, ...COUNTER_FIELDS]) {
    const found = pick(obj, ALIASES[field]);
    if (found === undefined) continue;
    measured++;
    const n = numberOf(found.name, found.value);
    if (isRejection(n)) return n;
    record[field] = n;
  }

  const status = pick(obj, ['status']);
  if (status !== undefined) {
    measured++;
    const code = parseStatus(status.value);
    if (code === undefined) {
      return reject(
        'bad_status',
        `status = ${JSON.stringify(status.value)}; expected 1-4 or online/offline/maintenance/error`,
      );
    }
    record.status = code;
  }

  const motion = pick(obj, ['motion_detected', 'motionDetected']);
  if (motion !== undefined) {
    measured++;
    if (typeof motion.value === 'boolean') record.motion_detected = motion.value ? 1 : 0;
    else {
      const n = numberOf(motion.name, motion.value);
      if (isRejection(n)) return n;
      record.motion_detected = n;
    }
  }
  // Defaults fill the fields a reading lacks; a reading with no value at all (not even a
  // status) would be a row of zeros (battery 0: a low-battery alert) that no device sent.
  if (measured === 0) {
    return reject(
      'empty_reading',
      'no reading field or status has a value (all absent or null); expected at least one',
    );
  }
  return validateRecord(record);
}

function siteLabel(deviceId: string): string {
  return siteIdFor(stableHash(deviceId) % SITE_COUNT);
}
