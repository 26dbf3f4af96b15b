/**
 * SensorRecord: one decoded reading, shaped like a row of ClickHouse benchmark.sensors_local
 * (24 reading columns; the seed's 25th column `time` is carried as `event_time`, epoch ms).
 */
export interface SensorRecord {
  device_id: string;
  device_type: string;
  customer_id: string;
  site_id: string;
  latitude: number;
  longitude: number;
  altitude: number;
  temperature: number;
  humidity: number;
  pressure: number;
  co2_level: number;
  noise_level: number;
  light_level: number;
  /** 0 or 1. */
  motion_detected: number;
  battery_level: number;
  signal_strength: number;
  memory_usage: number;
  cpu_usage: number;
  /** 1 online, 2 offline, 3 maintenance, 4 error (see STATUS). */
  status: number;
  error_count: number;
  packets_sent: number;
  packets_received: number;
  bytes_sent: number;
  bytes_received: number;
  /** Event time, epoch milliseconds. Decides the window; assigned once, at ingest. */
  event_time: number;
}

/** Floating-point reading columns, in sensors_local order. */
export const FLOAT_FIELDS = [
  'latitude',
  'longitude',
  'altitude',
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

/** Non-negative integer columns (counters). */
export const COUNTER_FIELDS = [
  'error_count',
  'packets_sent',
  'packets_received',
  'bytes_sent',
  'bytes_received',
] as const;

export const STRING_FIELDS = ['device_id', 'device_type', 'customer_id', 'site_id'] as const;

export type FloatField = (typeof FLOAT_FIELDS)[number];
export type CounterField = (typeof COUNTER_FIELDS)[number];

/** All SensorRecord fields in sensors_local column order, event_time last. */
export const RECORD_FIELDS = [
  'device_id',
  'device_type',
  'customer_id',
  'site_id',
  'latitude',
  'longitude',
  'altitude',
  'temperature',
  'humidity',
  'pressure',
  'co2_level',
  'noise_level',
  'light_level',
  'motion_detected',
  'battery_level',
  'signal_strength',
  'memory_usage',
  'cpu_usage',
  'status',
  'error_count',
  'packets_sent',
  'packets_received',
  'bytes_sent',
  'bytes_received',
  'event_time',
] as const satisfies readonly (keyof SensorRecord)[];

/** The seed's default customer for readings that do not name one. */
export const DEFAULT_CUSTOMER_ID = 'customer_0001';

/** Number of sites readings are spread over when a message does not name its site. */
export const SITE_COUNT = 100;

/** "sensor_<id>", the seed's device_id for an integer sensorId. */
export function deviceIdFor(sensorId: number): string {
  return `sensor_${sensorId}`;
}

/**
 * site_id derived from sensorId when the message has none: "site_" + (sensorId mod 100),
 * zero-padded to 3 digits (sensorId 12345 → "site_045"). Deterministic, so a device always
 * lands on the same site and a replay gives the same rows.
 */
export function siteIdFor(sensorId: number): string {
  const n = ((sensorId % SITE_COUNT) + SITE_COUNT) % SITE_COUNT;
  return `site_${String(n).padStart(3, '0')}`;
}

/**
 * Values for the columns the input does not carry (the seed's "default values"): no
 * location, no extra sensors, no motion, no errors, no traffic. Strings and event_time are
 * always set by the mapping, never defaulted from here.
 */
export const RECORD_DEFAULTS = {
  latitude: 0,
  longitude: 0,
  altitude: 0,
  temperature: 0,
  humidity: 0,
  pressure: 0,
  co2_level: 0,
  noise_level: 0,
  light_level: 0,
  motion_detected: 0,
  battery_level: 0,
  signal_strength: 0,
  memory_usage: 0,
  cpu_usage: 0,
  status: 1,
  error_count: 0,
  packets_sent: 0,
  packets_received: 0,
  bytes_sent: 0,
  bytes_received: 0,
} as const satisfies Partial<SensorRecord>;
