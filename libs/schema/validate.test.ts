import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRecord, MAX_COUNTER, MAX_EVENT_TIME_MS } from './validate.ts';
import { mapSensorData } from './mapping.ts';
import type { SensorRecord } from './record.ts';

const base = (): SensorRecord =>
  mapSensorData(
    {
      sensorId: 1,
      sensorType: 1,
      timestamp: 1_700_000_000_000,
      temperature: 20,
      humidity: 50,
      pressure: 1000,
      batteryLevel: 50,
      status: 1,
    },
    0,
  );

const reasonFor = (patch: Partial<SensorRecord>): string => {
  const r = validateRecord({ ...base(), ...patch });
  return r.ok ? 'ok' : r.reason;
};

test('a normal reading passes unchanged', () => {
  assert.deepEqual(validateRecord(base()), { ok: true, value: base() });
});

test('each rule yields its reason', () => {
  assert.equal(reasonFor({ device_id: '' }), 'missing_id');
  assert.equal(reasonFor({ temperature: Number.NaN }), 'nan_value');
  assert.equal(reasonFor({ pressure: Number.POSITIVE_INFINITY }), 'nan_value');
  assert.equal(reasonFor({ temperature: -274 }), 'out_of_range');
  assert.equal(reasonFor({ humidity: -0.1 }), 'out_of_range');
  assert.equal(reasonFor({ humidity: 100.01 }), 'out_of_range');
  assert.equal(reasonFor({ battery_level: 101 }), 'out_of_range');
  assert.equal(reasonFor({ latitude: 91 }), 'out_of_range');
  assert.equal(reasonFor({ co2_level: 2e12 }), 'out_of_range');
  assert.equal(reasonFor({ status: 0 }), 'bad_status');
  assert.equal(reasonFor({ status: 5 }), 'bad_status');
  assert.equal(reasonFor({ error_count: 1.5 }), 'out_of_range');
  assert.equal(reasonFor({ bytes_sent: -1 }), 'out_of_range');
  assert.equal(reasonFor({ bytes_sent: MAX_COUNTER + 1 }), 'out_of_range');
  assert.equal(reasonFor({ event_time: -1 }), 'out_of_range');
  assert.equal(reasonFor({ event_time: MAX_EVENT_TIME_MS }), 'out_of_range');
  assert.equal(reasonFor({ event_time: 1.5 }), 'out_of_range');
  assert.equal(reasonFor({ device_type: '' }), 'unknown_sensor_type');
  assert.equal(reasonFor({ device_id: 'x'.repeat(257) }), 'out_of_range');
});

test('boundaries that are physically possible pass', () => {
  assert.equal(reasonFor({ humidity: 0 }), 'ok');
  assert.equal(reasonFor({ humidity: 100 }), 'ok');
  assert.equal(reasonFor({ battery_level: 0 }), 'ok');
  assert.equal(reasonFor({ temperature: -273.15 }), 'ok');
  assert.equal(reasonFor({ event_time: 0 }), 'ok');
  assert.equal(reasonFor({ event_time: MAX_EVENT_TIME_MS - 1 }), 'ok');
  assert.equal(reasonFor({ status: 4 }), 'ok');
  assert.equal(reasonFor({ packets_sent: MAX_COUNTER }), 'ok');
});

test('negative zero is normalised so serialisation cannot change results', () => {
  const r = validateRecord({ ...base(), temperature: -0 });
  assert.ok(r.ok);
  if (r.ok) assert.ok(Object.is(r.value.temperature, 0));
});
