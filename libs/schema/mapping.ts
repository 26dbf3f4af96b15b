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
  return {
    device_id: deviceIdFor(avro.sensorId),
    device_type: sensorTypeName(avro.sensorType),
    customer_id: DEFAULT_CUSTOMER_ID,
    site_id: siteIdFor(avro.sensorId),
    ...RECORD_DEFAULTS,
    temperature: avro.temperature,
    humidity: avro.humidity,
    pressure: avro.pressure,
    battery_level: avro.batteryLevel,
    status: avro.status,
    event_time: avro.timestamp ?? fallbackTimeMs,
  };
}
