import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WRITER_WITHOUT_TIMESTAMP, encodeWithoutTimestamp } from './fixtures.test-support.ts';
import { decodeSensorData, encodeSensorData, SENSOR_DATA_SCHEMA, type SensorData } from './avro.ts';

const reading: SensorData = {
  sensorId: 7,
  sensorType: 2,
  timestamp: 1_700_000_060_000,
  temperature: -3.25,
  humidity: 55,
  pressure: 990.5,
  batteryLevel: 12,
  status: 2,
};

test('the shipped .avsc is SensorData in com.iot.pipeline with the seed fields and types', () => {
  const schema: unknown = JSON.parse(
    readFileSync(new URL('./avro/SensorData.avsc', import.meta.url), 'utf8'),
  );
  assert.deepEqual(schema, SENSOR_DATA_SCHEMA);
  const s = schema as {
    name: string;
    namespace: string;
    fields: { name: string; type: unknown }[];
  };
  assert.equal(s.name, 'SensorData');
  assert.equal(s.namespace, 'com.iot.pipeline');
  assert.deepEqual(
    s.fields.map((f) => [f.name, f.type]),
    [
      ['sensorId', 'int'],
      ['sensorType', 'int'],
      ['timestamp', { type: 'long', logicalType: 'timestamp-millis' }],
      ['temperature', 'double'],
      ['humidity', 'double'],
      ['pressure', 'double'],
      ['batteryLevel', 'double'],
      ['status', 'int'],
    ],
  );
});

test('round-trips a reading with the shipped schema', () => {
  const r = decodeSensorData(encodeSensorData(reading));
  assert.deepEqual(r, { ok: true, value: reading });
});

test('decodes a Uint8Array view into a larger buffer', () => {
  const enc = encodeSensorData(reading);
  const big = new Uint8Array(enc.length + 10);
  big.set(enc, 5);
  assert.deepEqual(decodeSensorData(big.subarray(5, 5 + enc.length)), { ok: true, value: reading });
});

test('a writer schema without timestamp resolves to timestamp null', () => {
  const bytes = encodeWithoutTimestamp(reading);
  assert.deepEqual(decodeSensorData(bytes, WRITER_WITHOUT_TIMESTAMP), {
    ok: true,
    value: { ...reading, timestamp: null },
  });
  assert.deepEqual(decodeSensorData(bytes, JSON.stringify(WRITER_WITHOUT_TIMESTAMP)), {
    ok: true,
    value: { ...reading, timestamp: null },
  });
  // Read without the writer schema, the same bytes are not a valid SensorData.
  assert.equal(decodeSensorData(bytes).ok, false);
});

test('the full writer schema given explicitly decodes like the default path', () => {
  const bytes = encodeSensorData(reading);
  assert.deepEqual(decodeSensorData(bytes, SENSOR_DATA_SCHEMA), { ok: true, value: reading });
});

test('truncated, trailing and empty input is undecodable, never thrown', () => {
  const bytes = encodeSensorData(reading);
  for (const bad of [
    bytes.subarray(0, bytes.length - 1),
    Buffer.concat([bytes, Buffer.from([0])]),
    Buffer.alloc(0),
  ]) {
    const r = decodeSensorData(bad);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.reason, 'undecodable');
  }
});

test('an incompatible writer schema is undecodable with a clear detail', () => {
  const r = decodeSensorData(Buffer.from([2]), {
    type: 'record',
    name: 'Other',
    fields: [{ name: 'x', type: 'int' }],
  });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.reason, 'undecodable');
    assert.match(r.detail, /writer schema/);
  }
  const garbage = decodeSensorData(Buffer.from([2]), '{not json');
  assert.equal(garbage.ok, false);
});
