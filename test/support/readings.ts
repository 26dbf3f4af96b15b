// Readings the integration tests publish: a valid AVRO SensorData of one device at one time.
import { encodeSensorData } from '@iot/schema';

/** AVRO bytes of an ordinary reading (21 °C, 40 %, 1000 hPa, battery 80 %, online). */
export function avroReading(sensorId: number, timestamp: number): Buffer {
  return encodeSensorData({
    sensorId,
    sensorType: 1,
    timestamp,
    temperature: 21,
    humidity: 40,
    pressure: 1000,
    batteryLevel: 80,
    status: 1,
  });
}
