import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapSensorData } from './mapping.ts';
import { sensorTypeName, SENSOR_TYPES } from './sensor-types.ts';
import { siteIdFor, RECORD_DEFAULTS, RECORD_FIELDS } from './record.ts';
import type { SensorData } from './avro.ts';

const reading: SensorData = {
  sensorId: 12345,
  sensorType: 1,
  timestamp: 1_700_000_000_123,
  temperature: 21.5,
  humidity: 40.25,
  pressure: 1013.2,
  batteryLevel: 88.5,
  status: 3,
};

test('maps the seed table: ids, type name, direct readings, defaults', () => {
  const r = mapSensorData(reading, 999);
  assert.equal(r.device_id, 'sensor_12345');
  assert.equal(r.device_type, 'temperature_sensor');
  assert.equal(r.customer_id, 'customer_0001');
  assert.equal(r.site_id, 'site_045');
  assert.equal(r.temperature, 21.5);
  assert.equal(r.humidity, 40.25);
  assert.equal(r.pressure, 1013.2);
  assert.equal(r.battery_level, 88.5);
  assert.equal(r.status, 3);
  assert.equal(r.event_time, 1_700_000_000_123);
  for (const f of [
    'latitude',
    'longitude',
    'altitude',
    'co2_level',
    'noise_level',
    'light_level',
  ] as const) {
    assert.equal(r[f], 0, f);
  }
  assert.equal(r.motion_detected, 0);
  assert.equal(r.error_count, 0);
  assert.deepEqual(Object.keys(r), [...RECORD_FIELDS]);
  // Every column the reading does not carry has its RECORD_DEFAULTS value.
  const carried = new Set(['temperature', 'humidity', 'pressure', 'battery_level', 'status']);
  for (const [f, v] of Object.entries(RECORD_DEFAULTS)) {
    if (!carried.has(f)) assert.equal(r[f as keyof typeof r], v, f);
  }
});

test('event time falls back to the caller-supplied time when the writer had no timestamp', () => {
  assert.equal(
    mapSensorData({ ...reading, timestamp: null }, 1_650_000_000_000).event_time,
    1_650_000_000_000,
  );
});

test('sensor type table names every code and gives unknown codes a clear name', () => {
  assert.equal(sensorTypeName(1), 'temperature_sensor');
  assert.equal(sensorTypeName(2), 'humidity_sensor');
  assert.equal(sensorTypeName(8), 'multi_sensor');
  assert.equal(sensorTypeName(42), 'unknown_type_42');
  assert.equal(sensorTypeName(-1), 'unknown_type_-1');
  const names = Object.values(SENSOR_TYPES);
  assert.equal(new Set(names).size, names.length, 'type names are distinct');
  assert.equal(mapSensorData({ ...reading, sensorType: 99 }, 0).device_type, 'unknown_type_99');
});

test('site_id is "site_" + sensorId mod 100, zero-padded, stable for negative ids', () => {
  assert.equal(siteIdFor(0), 'site_000');
  assert.equal(siteIdFor(7), 'site_007');
  assert.equal(siteIdFor(100), 'site_000');
  assert.equal(siteIdFor(12399), 'site_099');
  assert.equal(siteIdFor(-1), 'site_099');
  assert.equal(
    mapSensorData(reading, 0).site_id,
    mapSensorData({ ...reading, temperature: 1 }, 5).site_id,
  );
});
