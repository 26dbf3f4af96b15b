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

// A writer schema from the registry with containers: avsc would allocate `new Array(count)`
// or loop `count` times on a count the message declares (fuzz finding, avro-bounds.ts).
const containerWriter = {
  type: 'record',
  name: 'SensorData',
  namespace: 'com.iot.pipeline',
  fields: [
    { name: 'sensorId', type: 'int' },
    { name: 'sensorType', type: 'int' },
    { name: 'tags', type: { type: 'array', items: 'null' } },
    { name: 'temperature', type: 'double' },
    { name: 'humidity', type: 'double' },
    { name: 'pressure', type: 'double' },
    { name: 'batteryLevel', type: 'double' },
    { name: 'status', type: 'int' },
  ],
};

test('array counts beyond the message size are undecodable before avsc allocates or loops', () => {
  const doubles = Buffer.alloc(32);
  const zigzag = (n: bigint): Buffer => {
    const out: number[] = [];
    let v = n * 2n;
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
    return Buffer.from(out);
  };
  const message = (count: bigint) =>
    Buffer.concat([
      Buffer.from([14, 2]),
      zigzag(count),
      Buffer.from([0]),
      doubles,
      Buffer.from([2]),
    ]);
  const ok = decodeSensorData(message(3n), containerWriter);
  assert.ok(ok.ok, JSON.stringify(ok));
  for (const count of [100_000_000n, 2n ** 60n]) {
    const r = decodeSensorData(message(count), containerWriter);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'undecodable');
    assert.match(!r.ok ? r.detail : '', /array claims \d+ items; the message can hold at most/);
  }
});

test('a negative-count array block whose byte size does not match its items is undecodable (fuzz finding: avsc skipped by the size into unchecked bytes and looped)', () => {
  // tags: count -1 (zig-zag 1), block size 1 byte (zig-zag 2), one null item (0 bytes), then
  // the end marker 0. avsc skips 1 byte (the end marker) and reads the next "count" from the
  // doubles: 2^62 null items, a hang. The walk sees the size disagree with the items.
  const huge = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
  const doubles = Buffer.concat([huge, Buffer.alloc(32 - huge.length)]);
  const payload = Buffer.concat([Buffer.from([14, 2, 1, 2, 0]), doubles, Buffer.from([2])]);
  const r = decodeSensorData(payload, containerWriter);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.detail : '', /array block says 1 bytes, its 1 items take 0/);
});
