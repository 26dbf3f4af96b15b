import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstProblem, validateRecord, MAX_COUNTER, MAX_EVENT_TIME_MS } from './validate.ts';
import { RECORD_FIELDS } from './record.ts';
import { SAMPLE_READING } from './fixtures.test-support.ts';
import { mapSensorData } from './mapping.ts';
import type { SensorRecord } from './record.ts';

const base = (): SensorRecord => mapSensorData({ ...SAMPLE_READING }, 0);

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
  // sensors_local.error_count is UInt32: a larger value would make ClickHouse refuse the row.
  assert.equal(reasonFor({ error_count: 5_000_000_000 }), 'out_of_range');
  assert.equal(reasonFor({ error_count: 0x100000000 }), 'out_of_range');
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
  assert.equal(reasonFor({ error_count: 0xffffffff }), 'ok');
});

test('negative zero is normalised so serialisation cannot change results', () => {
  const r = validateRecord({ ...base(), temperature: -0 });
  assert.ok(r.ok);
  if (r.ok) assert.ok(Object.is(r.value.temperature, 0));
});

test('property: the fast path gives the same verdict as the rules one by one (seeded)', () => {
  // mulberry32, so the cases are the same on every run.
  let seed = 20261125;
  const rnd = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const numbers = [
    0,
    -0,
    1,
    -1,
    0.5,
    1.5,
    20,
    35.01,
    90,
    90.0001,
    -90,
    -180.5,
    100,
    100.01,
    101,
    -273.15,
    -273.16,
    1e6,
    1e6 + 1,
    1e9,
    1e9 + 1,
    1e12,
    1e12 + 1,
    -1e12 - 1,
    2 ** 53,
    MAX_COUNTER,
    MAX_COUNTER + 1,
    0xffffffff,
    0x100000000,
    5_000_000_000,
    MAX_EVENT_TIME_MS - 1,
    MAX_EVENT_TIME_MS,
    Number.NaN,
    Infinity,
    -Infinity,
    1_700_000_000_000,
    2,
    3,
    4,
    5,
  ];
  const strings = [
    '',
    'a',
    'x'.repeat(256),
    'x'.repeat(257),
    'é'.repeat(128),
    'é'.repeat(129),
    'sensor_1',
    'a b',
    ' a',
    'a\n',
    'a\u0000b',
    'a\uD800',
    '😀',
    '\uFFFD',
  ];
  for (let i = 0; i < 20_000; i++) {
    const r: Record<string, unknown> = { ...base() };
    // Change one to three fields to values on and around every bound.
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
      const field = RECORD_FIELDS[Math.floor(rnd() * RECORD_FIELDS.length)]!;
      r[field] =
        typeof r[field] === 'string'
          ? strings[Math.floor(rnd() * strings.length)]
          : numbers[Math.floor(rnd() * numbers.length)];
    }
    const fast = validateRecord({ ...(r as unknown as SensorRecord) });
    const slow = firstProblem({ ...(r as unknown as SensorRecord) });
    assert.deepEqual(fast, slow, JSON.stringify(r));
    if (fast.ok) {
      for (const [field, value] of Object.entries(fast.value)) {
        assert.ok(!Object.is(value, -0), `${field} is -0`);
      }
    }
  }
});
