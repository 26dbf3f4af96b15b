/** Test fixtures for @iot/schema (not exported from the package). */
import avsc from 'avsc';
import type { SensorData } from './avro.ts';

/** An older device firmware's writer schema: SensorData without `timestamp`. */
export const WRITER_WITHOUT_TIMESTAMP = {
  type: 'record',
  name: 'SensorData',
  namespace: 'com.iot.pipeline',
  fields: [
    { name: 'sensorId', type: 'int' },
    { name: 'sensorType', type: 'int' },
    { name: 'temperature', type: 'double' },
    { name: 'humidity', type: 'double' },
    { name: 'pressure', type: 'double' },
    { name: 'batteryLevel', type: 'double' },
    { name: 'status', type: 'int' },
  ],
};

/** Bytes as that firmware writes them. */
export function encodeWithoutTimestamp(reading: SensorData): Buffer {
  const { timestamp: _t, ...rest } = reading;
  type Schema = Parameters<typeof avsc.Type.forSchema>[0];
  return avsc.Type.forSchema(WRITER_WITHOUT_TIMESTAMP as Schema).toBuffer(rest);
}

/** An ordinary reading every rule accepts. */
export const SAMPLE_READING: Readonly<SensorData> = {
  sensorId: 1,
  sensorType: 1,
  timestamp: 1_700_000_000_000,
  temperature: 20,
  humidity: 50,
  pressure: 1000,
  batteryLevel: 50,
  status: 1,
};
