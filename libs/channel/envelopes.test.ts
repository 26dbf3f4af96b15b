import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageId } from '@iot/pulsar';
import { mapSensorData, type SensorRecord } from '@iot/schema';
import type { AggregateRow, Alert } from '@iot/windows';
import {
  ChannelFormatError,
  decodeAggregatesEnvelope,
  decodeAlertsEnvelope,
  decodeChannelMessage,
  decodeOutputMessage,
  decodeRecordsEnvelope,
  encodeAggregatesEnvelope,
  encodeAlertsEnvelope,
  KIND,
  PROP,
  recordsMessage,
  RecordsEnvelopeBuilder,
} from './index.ts';

const T0 = Date.UTC(2026, 0, 1);

const record = (i: number): SensorRecord => ({
  ...mapSensorData(
    {
      sensorId: i,
      sensorType: i % 9,
      timestamp: T0 + i,
      temperature: 20 + i / 7,
      humidity: 0.1 * i,
      pressure: 1013.25,
      batteryLevel: 99.5,
      status: 1 + (i % 4),
    },
    T0,
  ),
  // Values that JSON or a float32 would not keep exactly, and a non-ASCII id.
  latitude: -0.1 - 0.2,
  longitude: 179.99999999999997,
  bytes_sent: 2 ** 38 + i,
  device_id: i === 3 ? 'sensor_ü€𝄞' : `sensor_${i}`,
});

function build(
  records: SensorRecord[],
  watermark: number | null = T0 - 5000,
  previous: string | null = '11:7:3:-1:0',
) {
  const b = new RecordsEnvelopeBuilder();
  records.forEach((r, i) => b.add(r, MessageId.parse(`12:${i}:3:${i % 5}:5`)));
  return b.finish(
    { partition: 3, position: `12:${records.length}:3:-1:0`, epoch: 1_764_000_000_123 },
    watermark,
    previous,
  );
}

test('a records envelope round-trips every field bit for bit, origin, watermark and positions', () => {
  const records = Array.from({ length: 50 }, (_, i) => record(i));
  const e = decodeRecordsEnvelope(build(records));
  assert.deepEqual(e.origin, { partition: 3, position: '12:50:3:-1:0', epoch: 1_764_000_000_123 });
  assert.equal(e.watermark, T0 - 5000);
  assert.equal(e.previous, '11:7:3:-1:0');
  assert.deepEqual(e.records, records);
  assert.ok(Object.is(e.records[0]!.latitude, -0.1 - 0.2));
  assert.deepEqual(
    records.map((_, i) => e.positionOf(i)),
    records.map((_, i) => `12:${i}:3:${i % 5}:5`),
  );
  assert.throws(() => e.positionOf(50), RangeError);
});

test('a builder is empty again after finish, and a marker-only envelope has no watermark loss', () => {
  const b = new RecordsEnvelopeBuilder();
  b.add(record(1), MessageId.parse('1:1:0:-1:0'));
  b.finish({ partition: 0, position: '1:1:0:-1:0', epoch: 1 }, null, null);
  assert.equal(b.size, 0);
  const e = decodeRecordsEnvelope(
    b.finish({ partition: 0, position: '1:2:0:-1:0', epoch: 1 }, 42, '1:1:0:-1:0'),
  );
  assert.deepEqual(e.records, []);
  assert.equal(e.watermark, 42);
  assert.equal(e.previous, '1:1:0:-1:0');
  const none = decodeRecordsEnvelope(build([record(1)], null, null));
  assert.equal(none.watermark, null);
  assert.equal(none.previous, null, 'the first envelope of a channel names none');
});

test('every truncation and a wrong version byte are refused with ChannelFormatError', () => {
  const bytes = build([record(1), record(2)]);
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(
      () => decodeRecordsEnvelope(bytes.subarray(0, cut)),
      ChannelFormatError,
      `cut ${cut}`,
    );
  }
  assert.throws(
    () => decodeRecordsEnvelope(Buffer.concat([bytes, Buffer.from([0])])),
    /unexpected bytes/,
  );
  const v = Buffer.from(bytes);
  v[0] = 0x01;
  assert.throws(() => decodeRecordsEnvelope(v), /format byte 1/);
});

test('a record that fails validation makes the whole envelope malformed', () => {
  const bad = { ...record(1), humidity: 250 };
  assert.throws(() => decodeRecordsEnvelope(build([record(2), bad])), ChannelFormatError);
});

test('a huge claimed count is refused before anything is allocated for it', () => {
  const b = Buffer.from(build([]));
  // The last byte is the record count (0): claim 2^49 records instead.
  const forged = Buffer.concat([
    b.subarray(0, b.length - 1),
    Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
  ]);
  assert.throws(() => decodeRecordsEnvelope(forged), /claims \d+ records/);
});

test('records messages name their kind; a per-record message of the old format is refused loudly', () => {
  const m = recordsMessage(build([record(1)]));
  assert.equal(m.properties[PROP.kind], KIND.records);
  assert.equal(decodeChannelMessage(m).records.length, 1);
  assert.throws(
    () =>
      decodeChannelMessage({ payload: Buffer.from([1]), properties: { [PROP.kind]: 'record' } }),
    /older than the envelope format/,
  );
});

test('alerts and aggregates envelopes round-trip exactly and refuse what is not theirs', () => {
  const alerts: Alert[] = Array.from({ length: 30 }, (_, i) => ({
    device_id: `sensor_${i % 4}`,
    event_time: T0 + i,
    kind: i % 2 ? 'high_humidity' : 'low_battery',
    source: i % 3 ? 'reading' : 'window_avg',
    value: 0.1 + i,
    threshold: 20,
  }));
  const a = encodeAlertsEnvelope(alerts);
  assert.deepEqual(decodeAlertsEnvelope(a), alerts);
  for (let cut = 0; cut < a.length; cut++) {
    assert.throws(() => decodeAlertsEnvelope(a.subarray(0, cut)), ChannelFormatError);
  }
  const rows = [
    { device_id: 'sensor_1', window_start: T0, temperature_avg: 0.1 + 0.2 },
    { device_id: 'sensor_2', window_start: T0, temperature_avg: 1e-300 },
  ] as unknown as AggregateRow[];
  assert.deepEqual(decodeAggregatesEnvelope(encodeAggregatesEnvelope(rows)), rows);
  assert.throws(() => decodeAggregatesEnvelope(Buffer.from([4, 0x7b])), ChannelFormatError);
  assert.throws(
    () => decodeOutputMessage({ payload: a, properties: { [PROP.kind]: 'alert' } }),
    /older than the envelope format/,
  );
  assert.throws(
    () => decodeOutputMessage({ payload: a, properties: { [PROP.kind]: KIND.aggregates } }),
    ChannelFormatError,
  );
});

test('fields that are 0 take no bytes: a reading with the defaults is far smaller than a full one', () => {
  const defaults = mapSensorData(
    {
      sensorId: 7,
      sensorType: 1,
      timestamp: T0,
      temperature: 21,
      humidity: 40,
      pressure: 1000,
      batteryLevel: 80,
      status: 1,
    },
    T0,
  );
  const full: SensorRecord = {
    ...defaults,
    latitude: 1.5,
    longitude: 2.5,
    altitude: 3.5,
    co2_level: 500,
    noise_level: 40,
    light_level: 300,
    motion_detected: 1,
    signal_strength: -70,
    memory_usage: 30,
    cpu_usage: 20,
    error_count: 1,
    packets_sent: 2,
    packets_received: 3,
    bytes_sent: 4,
    bytes_received: 5,
  };
  const size = (r: SensorRecord) => build(Array.from({ length: 100 }, () => r)).length / 100;
  assert.ok(size(defaults) < 80, `a default-heavy record takes ${size(defaults)} bytes`);
  assert.ok(size(full) > size(defaults) + 100, `${size(full)} vs ${size(defaults)} bytes`);
  const back = decodeRecordsEnvelope(build([defaults, full]));
  assert.deepEqual(back.records, [defaults, full]);
});
