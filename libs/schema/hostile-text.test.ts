// Property tests for the input rules of libs/schema/README.md ("Hostile input"): text that is
// not what it looks like, numbers that are not decimal, empty readings, oversized AVRO ints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avsc from 'avsc';
import fc from 'fast-check';
import { decodeSensorData, SENSOR_DATA_SCHEMA, type SensorData } from './avro.ts';
import { SAMPLE_READING } from './fixtures.test-support.ts';
import { decodeLegacyJson } from './legacy-json.ts';
import { decodeSensorMessage } from './message.ts';
import { decodeRecord, encodeRecord } from './record-codec.ts';
import { FLOAT_FIELDS, COUNTER_FIELDS } from './record.ts';
import type { Result } from './result.ts';
import { MAX_TEXT_BYTES } from './text.ts';

const RUNS = { numRuns: 1_000 };
const reasonOf = (r: Result<unknown>): string => (r.ok ? 'ok' : r.reason);
const withId = (id: unknown): Buffer =>
  Buffer.from(JSON.stringify({ device_id: id, temperature: 20, timestamp: 1_700_000_000_000 }));

// Any Unicode text, with the troublesome characters mixed in often.
const nasty = fc.constantFrom(' ', '\t', '\n', '\u0000', '\u007f', '\u0085', '\uFFFD', '\uFEFF');
const text = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), nasty), { maxLength: 6 })
  .map((parts) => parts.join(''));
const CONTROL = /\p{Cc}/u;
const EDGE_SPACE = /^\s|\s$/u;

test('property: an accepted id is stored exactly as sent and survives UTF-8 and the record codec', () => {
  fc.assert(
    fc.property(text, (id) => {
      const r = decodeLegacyJson(withId(id), 0);
      if (!r.ok) return;
      if (/^-?(0|[1-9][0-9]*)$/.test(id)) assert.equal(r.value.device_id, `sensor_${id}`);
      else assert.equal(r.value.device_id, id);
      assert.equal(Buffer.from(id, 'utf8').toString('utf8'), id, 'valid Unicode');
      assert.ok(!CONTROL.test(id) && !id.includes('\uFFFD') && !EDGE_SPACE.test(id));
      assert.ok(Buffer.byteLength(id) <= MAX_TEXT_BYTES);
      const back = decodeRecord(encodeRecord(r.value));
      assert.ok(back.ok);
      assert.equal(back.value.device_id, r.value.device_id);
    }),
    RUNS,
  );
});

test('property: ids with a lone surrogate are refused, never stored as U+FFFD', () => {
  const lone = fc.oneof(
    fc.integer({ min: 0xd800, max: 0xdbff }).map((c) => String.fromCharCode(c) + 'x'),
    fc.integer({ min: 0xdc00, max: 0xdfff }).map((c) => 'x' + String.fromCharCode(c)),
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 6 }), lone, fc.string(), (a, bad, b) => {
      const id = `id${a}${bad}${b}`;
      assert.equal(reasonOf(decodeLegacyJson(withId(id), 0)), 'bad_text', JSON.stringify(id));
    }),
    RUNS,
  );
  // Two different bad ids would both have become "id\uFFFD" in ClickHouse: one device.
  assert.equal(reasonOf(decodeLegacyJson(withId('id\uD800'), 0)), 'bad_text');
  assert.equal(reasonOf(decodeLegacyJson(withId('id\uDBFF'), 0)), 'bad_text');
});

test('property: control characters, U+FFFD and surrounding whitespace are refused in every text field', () => {
  const bad = fc.oneof(
    fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x7f, max: 0x9f }).map((c) => String.fromCharCode(c)),
    fc.constant('\uFFFD'),
  );
  const field = fc.constantFrom('device_id', 'device_type', 'customer_id', 'site_id');
  fc.assert(
    fc.property(
      field,
      fc.string({ maxLength: 6 }),
      bad,
      fc.string({ maxLength: 6 }),
      (f, a, c, b) => {
        const obj = { device_id: 'gw-1', temperature: 1, [f]: `v${a}${c}${b}` };
        const r = decodeLegacyJson(Buffer.from(JSON.stringify(obj)), 0);
        assert.equal(reasonOf(r), 'bad_text', JSON.stringify(obj));
      },
    ),
    RUNS,
  );
  for (const id of [' sensor_1', 'sensor_1 ', 'sensor_1\n', '\u00a0sensor_1', ' 12']) {
    assert.equal(reasonOf(decodeLegacyJson(withId(id), 0)), 'bad_text', JSON.stringify(id));
  }
  // Inner spaces are text like any other.
  assert.equal(reasonOf(decodeLegacyJson(withId('boiler room 2'), 0)), 'ok');
});

test('property: text length is counted in UTF-8 bytes, as the String column stores it', () => {
  const unit = fc.constantFrom('a', 'é', '漢', '😀');
  fc.assert(
    fc.property(fc.array(unit, { minLength: 60, maxLength: 260 }), (chars) => {
      const id = `x${chars.join('')}`;
      const expected = Buffer.byteLength(id) <= MAX_TEXT_BYTES ? 'ok' : 'out_of_range';
      assert.equal(reasonOf(decodeLegacyJson(withId(id), 0)), expected);
    }),
    RUNS,
  );
});

test('property: a UTF-8 BOM or whitespace before legacy JSON decodes like the JSON alone', () => {
  const ws = fc
    .array(fc.constantFrom(' ', '\t', '\n', '\r'), { maxLength: 8 })
    .map((a) => a.join(''));
  const reading = fc.record({
    sensorId: fc.integer({ min: 0, max: 1e6 }),
    temperature: fc.double({ min: -50, max: 50, noNaN: true }),
    battery_level: fc.integer({ min: 0, max: 100 }),
    timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
  });
  fc.assert(
    fc.property(fc.boolean(), ws, reading, (bom, space, obj) => {
      const json = Buffer.from(JSON.stringify(obj));
      const prefixed = Buffer.concat([
        Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []),
        Buffer.from(space),
        json,
      ]);
      const plain = decodeSensorMessage({ payload: json, publishTime: 1 });
      assert.ok(plain.ok);
      assert.deepEqual(decodeSensorMessage({ payload: prefixed, publishTime: 1 }), plain);
    }),
    RUNS,
  );
});

test('property: hex, binary and octal strings are not numbers; decimal strings are', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.constantFrom(['0x', 16], ['0X', 16], ['0b', 2], ['0o', 8]) as fc.Arbitrary<
        [string, number]
      >,
      fc.constantFrom(...FLOAT_FIELDS, ...COUNTER_FIELDS),
      (n, [prefix, radix], field) => {
        const obj = { sensorId: 1, [field]: `${prefix}${n.toString(radix)}` };
        const r = decodeLegacyJson(Buffer.from(JSON.stringify(obj)), 0);
        assert.equal(reasonOf(r), 'bad_field', JSON.stringify(obj));
        const dec = decodeLegacyJson(
          Buffer.from(JSON.stringify({ sensorId: 1, error_count: String(n) })),
          0,
        );
        assert.equal(dec.ok && dec.value.error_count, n);
      },
    ),
    RUNS,
  );
});

test('property: a reading whose fields are all null (or absent) is empty_reading, not zeros', () => {
  const fields = [...FLOAT_FIELDS, ...COUNTER_FIELDS, 'motion_detected', 'status', 'batteryLevel'];
  fc.assert(
    fc.property(fc.subarray(fields), fc.constantFrom('sensorId', 'device_id'), (nulls, idName) => {
      const obj: Record<string, unknown> = { [idName]: 7, timestamp: 1_700_000_000_000 };
      for (const f of nulls) obj[f] = null;
      assert.equal(
        reasonOf(decodeLegacyJson(Buffer.from(JSON.stringify(obj)), 0)),
        'empty_reading',
      );
    }),
    RUNS,
  );
  assert.equal(
    reasonOf(decodeLegacyJson(Buffer.from('{"sensorId":7,"battery_level":0}'), 0)),
    'ok',
  );
});

test('property: AVRO ints that decode beyond 32 bits are undecodable', () => {
  // The same record, written by a writer that (wrongly) put a long where SensorData has int.
  const wide = avsc.Type.forSchema({
    ...(SENSOR_DATA_SCHEMA as object),
    fields: (SENSOR_DATA_SCHEMA as { fields: { name: string; type: unknown }[] }).fields.map((f) =>
      f.type === 'int' ? { ...f, type: 'long' } : f,
    ),
  } as Parameters<typeof avsc.Type.forSchema>[0]);
  const reading: SensorData = { ...SAMPLE_READING };
  fc.assert(
    fc.property(
      fc.constantFrom('sensorId', 'sensorType', 'status') as fc.Arbitrary<'sensorId'>,
      fc.oneof(
        fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      ),
      (field, value) => {
        const r = decodeSensorData(wide.toBuffer({ ...reading, [field]: value }));
        const fits = value >= -(2 ** 31) && value < 2 ** 31;
        assert.equal(reasonOf(r), fits ? 'ok' : 'undecodable');
      },
    ),
    RUNS,
  );
});
