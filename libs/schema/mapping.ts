/**
 * SensorData (AVRO) → SensorRecord, the seed's mapping table:
 *   sensorId 12345 → device_id "sensor_12345"; sensorType → device_type via SENSOR_TYPES;
 *   temperature, humidity, pressure, status direct; batteryLevel → battery_level;
 *   customer_id "customer_0001"; site_id from sensorId (siteIdFor); the rest RECORD_DEFAULTS.
 */
import type { SensorData } from './avro.ts';
import {
  DEFAULT_CUSTOMER_ID,
  RECORD_DEFAULTS,
  deviceIdFor,
  siteIdFor,
  type SensorRecord,
} from './record.ts';
import { sensorTypeName } from './sensor-types.ts';

/**
 * Map a decoded reading. Total: never throws and never rejects; run validateRecord on the
 * result. `fallbackTimeMs` is the event time used when the writer had no `timestamp`
 * (the Pulsar message's event_time, else its publish_time).
 */
export function mapSensorData(avro: SensorData, fallbackTimeMs: number): SensorRecord {
  // Every field written out, in one literal: spreading RECORD_DEFAULTS here cost more than
  // the rest of the mapping in ingest's profile. A test pins this to RECORD_DEFAULTS.
  const d = RECORD_DEFAULTS;
  return {
    device_id: deviceIdFor(avro.sensorId),
    device_type: sensorTypeName(avro.sensorType),
    customer_id: DEFAULT_CUSTOMER_ID,
    site_id: siteIdFor(avro.sensorId),
    latitude: d.latitude,
    longitude: d.longitude,
    altitude: d.altitude,
    temperature: avro.temperature,
    humidity: avro.humidity,
    pressure: avro.pressure,
    co2_level: d.co2_level,
    noise_level: d.noise_level,
    light_level: d.light_level,
    motion_detected: d.motion_detected,
    battery_level: avro.batteryLevel,
    signal_strength: d.signal_strength,
    memory_usage: d.memory_usage,
    cpu_usage: d.cpu_usage,
    status: avro.status,
    error_count: d.error_count,
    packets_sent: d.packets_sent,
    packets_received: d.packets_received,
    bytes_sent: d.bytes_sent,
    bytes_received: d.bytes_received,
    event_time: avro.timestamp ?? fallbackTimeMs,
  };
}
