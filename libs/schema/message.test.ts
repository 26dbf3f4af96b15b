import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WRITER_WITHOUT_TIMESTAMP, encodeWithoutTimestamp } from './fixtures.test-support.ts';
import { decodeSensorMessage, fallbackTime } from './message.ts';
import { encodeSensorData, sensorDataType } from './avro.ts';

const reading = {
  sensorId: 5,
  sensorType: 3,
  timestamp: 1_700_000_000_000,
  temperature: 30,
  humidity: 60,
  pressure: 1010,
  batteryLevel: 70,
  status: 1,
};

test('AVRO payloads decode, map and validate', () => {
  const r = decodeSensorMessage({ payload: encodeSensorData(reading), publishTime: 1 });
  assert.ok(r.ok);
  if (r.ok) {
    assert.equal(r.value.device_id, 'sensor_5');
    assert.equal(r.value.device_type, 'pressure_sensor');
    assert.equal(r.value.event_time, reading.timestamp);
  }
});

test('JSON payloads are detected by their opening brace', () => {
  const r = decodeSensorMessage({
    payload: Buffer.from('{"sensorId":5,"status":"offline"}'),
    eventTime: 42,
    publishTime: 1,
  });
  assert.ok(r.ok);
  if (r.ok) {
    assert.equal(r.value.status, 2);
    assert.equal(r.value.event_time, 42);
  }
});

test('event time falls back to message event_time, then publish_time', () => {
  assert.equal(fallbackTime({ eventTime: 10, publishTime: 20 }), 10);
  assert.equal(fallbackTime({ eventTime: 0, publishTime: 20 }), 20);
  assert.equal(fallbackTime({ eventTime: null, publishTime: 20 }), 20);
  assert.equal(fallbackTime({ publishTime: 20 }), 20);
});

test('an AVRO record whose first byte is "{" (sensorId -62) still decodes', () => {
  const payload = encodeSensorData({ ...reading, sensorId: -62 });
  assert.equal(payload[0], 0x7b);
  const r = decodeSensorMessage({ payload, publishTime: 1 });
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.value.device_id, 'sensor_-62');
});

test('bad AVRO content is rejected with the right reason', () => {
  const cases: [Partial<typeof reading>, string][] = [
    [{ temperature: Number.NaN }, 'nan_value'],
    [{ status: 9 }, 'bad_status'],
    [{ humidity: 150 }, 'out_of_range'],
  ];
  for (const [patch, reason] of cases) {
    const r = decodeSensorMessage({
      payload: sensorDataType.toBuffer({ ...reading, ...patch }),
      publishTime: 1,
    });
    assert.equal(r.ok ? 'ok' : r.reason, reason);
  }
  const truncated = decodeSensorMessage({
    payload: encodeSensorData(reading).subarray(0, 10),
    publishTime: 1,
  });
  assert.equal(truncated.ok ? 'ok' : truncated.reason, 'undecodable');
});

test('a forced format skips detection', () => {
  const r = decodeSensorMessage({
    payload: Buffer.from('{"sensorId":5}'),
    publishTime: 1,
    format: 'avro',
  });
  assert.equal(r.ok ? 'ok' : r.reason, 'undecodable');
});

test('writer schema without timestamp takes the fallback time', () => {
  const payload = encodeWithoutTimestamp(reading);
  const withEvent = decodeSensorMessage({
    payload,
    writerSchema: WRITER_WITHOUT_TIMESTAMP,
    eventTime: 1234,
    publishTime: 5678,
  });
  const withPublish = decodeSensorMessage({
    payload,
    writerSchema: WRITER_WITHOUT_TIMESTAMP,
    publishTime: 5678,
  });
  assert.equal(withEvent.ok && withEvent.value.event_time, 1234);
  assert.equal(withPublish.ok && withPublish.value.event_time, 5678);
});
