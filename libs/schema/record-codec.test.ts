import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord, encodeRecord, RECORD_FORMAT_V1 } from './record-codec.ts';
import { decodeLegacyJson } from './legacy-json.ts';
import { RECORD_FIELDS, type SensorRecord } from './record.ts';

const full = (): SensorRecord => {
  const r = decodeLegacyJson(
    Buffer.from(
      JSON.stringify({
        device_id: 'sensor_1',
        device_type: 'multi_sensor',
        latitude: 48.1371,
        longitude: 11.5754,
        altitude: 519.3,
        temperature: 0.1 + 0.2,
        humidity: 33.333333333333336,
        pressure: 1013.25,
        co2_level: 415.1,
        noise_level: 35.5,
        light_level: 1200,
        motion_detected: 1,
        battery_level: 19.99,
        signal_strength: -67.5,
        memory_usage: 41.2,
        cpu_usage: 12.5,
        status: 4,
        error_count: 2,
        packets_sent: 2 ** 39,
        packets_received: 1,
        bytes_sent: 1e12,
        bytes_received: 0,
        event_time: 1_700_000_000_999,
      }),
    ),
    0,
  );
  if (!r.ok) assert.fail(`fixture rejected: ${r.reason}: ${r.detail}`);
  return r.value;
};

test('round-trips every field bit-exactly, in a compact frame', () => {
  const record = full();
  const bytes = encodeRecord(record);
  assert.equal(bytes[0], RECORD_FORMAT_V1);
  assert.ok(bytes.length < 200, `record is ${bytes.length} bytes`);
  const back = decodeRecord(bytes);
  assert.ok(back.ok);
  if (back.ok) {
    assert.deepEqual(back.value, record);
    assert.deepEqual(Object.keys(back.value), [...RECORD_FIELDS]);
    assert.equal(Object.getPrototypeOf(back.value), Object.prototype);
  }
});

test('unknown format byte, empty and truncated frames are rejected, not thrown', () => {
  const bytes = encodeRecord(full());
  const other = Buffer.from(bytes);
  other[0] = 2;
  for (const bad of [other, Buffer.alloc(0), bytes.subarray(0, bytes.length - 3)]) {
    const r = decodeRecord(bad);
    assert.equal(r.ok ? 'ok' : r.reason, 'undecodable');
  }
});

test('encode throws on a record that does not fit the schema (programming error)', () => {
  assert.throws(() => encodeRecord({ ...full(), device_id: 5 as unknown as string }));
});

test('a record larger than the scratch buffer still encodes, and records after it too', () => {
  const big = { ...full(), site_id: 'x'.repeat(20_000) };
  const bytes = encodeRecord(big);
  assert.equal(bytes[0], RECORD_FORMAT_V1);
  assert.ok(bytes.length > 20_000, `${bytes.length} bytes`);
  // It decodes as a SensorRecord; only validation refuses an id that long.
  const back = decodeRecord(bytes);
  assert.ok(!back.ok && back.reason !== 'undecodable', JSON.stringify(back).slice(0, 200));
  // Each result is its own copy: a later encode does not change an earlier one.
  const small = encodeRecord(full());
  assert.deepEqual(encodeRecord(big), bytes);
  const again = decodeRecord(small);
  assert.ok(again.ok);
  if (again.ok) assert.deepEqual(again.value, full());
});
