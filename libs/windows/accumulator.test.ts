import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SensorRecord } from '@iot/schema';
import {
  AGGREGATE_COLUMNS,
  accumulatorFor,
  addRecord,
  emptyAccumulator,
  finalizeWindow,
  mergeAccumulators,
  type AggregateRow,
  type WindowAccumulator,
} from './accumulator.ts';
import { deserializeAccumulator, serializeAccumulator } from './accumulator-codec.ts';
import { DEFAULT_ALERT_RULES } from './alerts.ts';
import { prng, record, shuffle } from './fixtures.test-support.ts';

const MIN = 60_000;
const T0 = 1_700_000_040_000; // a window start

function randomRecords(rnd: () => number, n: number): SensorRecord[] {
  const round2 = (x: number): number => Math.round(x * 100) / 100;
  return Array.from({ length: n }, () =>
    record({
      event_time: T0 + Math.floor(rnd() * MIN),
      temperature: round2(rnd() * 50 - 5) + rnd() * 1e-7,
      humidity: rnd() * 100,
      pressure: 950 + rnd() * 100,
      co2_level: rnd() * 2000,
      noise_level: rnd() * 90,
      light_level: rnd() * 1e5,
      battery_level: rnd() * 100,
      signal_strength: -120 + rnd() * 80,
      memory_usage: rnd() * 100,
      cpu_usage: rnd() * 100,
      motion_detected: rnd() < 0.3 ? 1 : 0,
      status: 1 + Math.floor(rnd() * 4),
      error_count: Math.floor(rnd() * 5),
      packets_sent: Math.floor(rnd() * 1e6),
      packets_received: Math.floor(rnd() * 1e6),
      bytes_sent: Math.floor(rnd() * 1e9),
      bytes_received: Math.floor(rnd() * 1e9),
      site_id: rnd() < 0.5 ? 'site_001' : 'site_002',
    }),
  );
}

function aggregate(records: readonly SensorRecord[]): AggregateRow {
  const acc = emptyAccumulator('sensor_1', T0, MIN);
  for (const r of records) addRecord(acc, r, DEFAULT_ALERT_RULES);
  return finalizeWindow(acc);
}

test('computes count, min/max/avg/sum, counters, status counts and alerts', () => {
  const rows = [
    record({
      event_time: T0,
      temperature: 10,
      humidity: 85,
      battery_level: 50,
      status: 1,
      motion_detected: 1,
      error_count: 2,
      packets_sent: 5,
      bytes_received: 100,
    }),
    record({
      event_time: T0 + 1,
      temperature: 40,
      humidity: 20,
      battery_level: 10,
      status: 4,
      packets_sent: 7,
      bytes_received: 1,
    }),
    record({
      event_time: T0 + 59_999,
      temperature: 25,
      humidity: 30,
      battery_level: 30,
      status: 3,
      motion_detected: 1,
    }),
  ];
  const row = aggregate(rows);
  assert.equal(row.device_id, 'sensor_1');
  assert.equal(row.window_start, T0);
  assert.equal(row.window_end, T0 + MIN);
  assert.equal(row.count, 3);
  assert.equal(row.temperature_min, 10);
  assert.equal(row.temperature_max, 40);
  assert.equal(row.temperature_sum, 75);
  assert.equal(row.temperature_avg, 25);
  assert.equal(row.temperature_count, 3);
  assert.equal(row.humidity_avg, 45);
  assert.equal(row.battery_level_min, 10);
  assert.equal(row.motion_count, 2);
  assert.equal(row.error_count, 2);
  assert.equal(row.status_online, 1);
  assert.equal(row.status_offline, 0);
  assert.equal(row.status_maintenance, 1);
  assert.equal(row.status_error, 1);
  assert.equal(row.packets_sent, 12);
  assert.equal(row.bytes_received, 101);
  assert.equal(row.alerts_temperature, 1);
  assert.equal(row.alerts_humidity, 1);
  assert.equal(row.alerts_battery, 1);
  assert.deepEqual(Object.keys(row).sort(), [...AGGREGATE_COLUMNS].sort());
});

test('avg is the exactly rounded mean, not a drifting running sum', () => {
  const row = aggregate(
    Array.from({ length: 10 }, (_, i) => record({ event_time: T0 + i, temperature: 0.1 })),
  );
  assert.equal(row.temperature_sum, 1);
  assert.equal(row.temperature_avg, 0.1);
});

test('property: any order of the same records gives an identical row', () => {
  for (let seed = 1; seed <= 25; seed++) {
    const rnd = prng(seed);
    const records = randomRecords(rnd, 1 + Math.floor(rnd() * 300));
    const expected = aggregate(records);
    for (let k = 0; k < 4; k++) {
      const row = aggregate(shuffle(records, rnd));
      for (const col of AGGREGATE_COLUMNS)
        assert.ok(Object.is(row[col], expected[col]), `seed ${seed} column ${col}`);
    }
  }
});

test('property: merging accumulators of any split equals adding sequentially', () => {
  for (let seed = 100; seed < 120; seed++) {
    const rnd = prng(seed);
    const records = randomRecords(rnd, 2 + Math.floor(rnd() * 200));
    const expected = aggregate(records);
    // Split into 1..5 random parts, aggregate each, merge in a random tree order.
    const parts = 1 + Math.floor(rnd() * 5);
    const accs: WindowAccumulator[] = Array.from({ length: parts }, () =>
      emptyAccumulator('sensor_1', T0, MIN),
    );
    for (const r of shuffle(records, rnd))
      addRecord(accs[Math.floor(rnd() * parts)] as WindowAccumulator, r);
    let pool = shuffle(accs, rnd);
    while (pool.length > 1) {
      const [a, b, ...rest] = pool as [
        WindowAccumulator,
        WindowAccumulator,
        ...WindowAccumulator[],
      ];
      pool = shuffle([mergeAccumulators(a, b), ...rest], rnd);
    }
    assert.deepEqual(finalizeWindow(pool[0] as WindowAccumulator), expected, `seed ${seed}`);
  }
});

test('merge does not modify its inputs and tolerates empty sides', () => {
  const a = emptyAccumulator('sensor_1', T0, MIN);
  addRecord(a, record({ event_time: T0, temperature: 5 }));
  const before = serializeAccumulator(a);
  const m = mergeAccumulators(a, emptyAccumulator('sensor_1', T0, MIN));
  addRecord(m, record({ event_time: T0 + 1, temperature: 7 }));
  assert.equal(serializeAccumulator(a), before);
  assert.equal(
    finalizeWindow(mergeAccumulators(emptyAccumulator('sensor_1', T0, MIN), a)).temperature_sum,
    5,
  );
});

test('metadata comes from the latest reading, ties broken by value not by order', () => {
  const early = record({ event_time: T0 + 5, site_id: 'site_new', customer_id: 'customer_0002' });
  const late = record({ event_time: T0 + 10, site_id: 'site_old' });
  assert.equal(aggregate([late, early]).site_id, 'site_old');
  assert.equal(aggregate([early, late]).site_id, 'site_old');
  const tieA = record({ event_time: T0, device_type: 'a_type' });
  const tieB = record({ event_time: T0, device_type: 'b_type' });
  assert.equal(aggregate([tieA, tieB]).device_type, 'b_type');
  assert.equal(aggregate([tieB, tieA]).device_type, 'b_type');
});

test('custom alert rules change the per-window alert counts', () => {
  const acc = emptyAccumulator('sensor_1', T0, MIN);
  addRecord(acc, record({ event_time: T0, temperature: 30 }), {
    temperatureHigh: 25,
    humidityHigh: 100,
    batteryLow: 0,
  });
  assert.equal(finalizeWindow(acc).alerts_temperature, 1);
});

test('routing mistakes throw instead of corrupting a window', () => {
  const acc = emptyAccumulator('sensor_1', T0, MIN);
  assert.throws(
    () => addRecord(acc, record({ device_id: 'sensor_2', event_time: T0 })),
    /sensor_2/,
  );
  assert.throws(() => addRecord(acc, record({ event_time: T0 + MIN })), RangeError);
  assert.throws(() => addRecord(acc, record({ event_time: T0 - 1 })), RangeError);
  assert.throws(() => emptyAccumulator('x', T0 + 1, MIN), RangeError);
  assert.throws(() => finalizeWindow(acc), /no readings/);
  assert.throws(
    () => mergeAccumulators(acc, emptyAccumulator('sensor_1', T0 + MIN, MIN)),
    /different keys/,
  );
  assert.equal(accumulatorFor(record({ event_time: T0 + 123 }), MIN).window_start, T0);
});

test('serialized state round-trips to the same result and is compact', () => {
  const rnd = prng(42);
  const records = randomRecords(rnd, 120);
  const acc = emptyAccumulator('sensor_1', T0, MIN);
  records.slice(0, 60).forEach((r) => addRecord(acc, r));
  const text = serializeAccumulator(acc);
  assert.ok(text.length < 1200, `state is ${text.length} chars`);
  const back = deserializeAccumulator(text);
  assert.ok(back.ok);
  if (!back.ok) return;
  records.slice(60).forEach((r) => addRecord(back.value, r));
  assert.deepEqual(finalizeWindow(back.value), aggregate(records));
  const empty = deserializeAccumulator(serializeAccumulator(emptyAccumulator('sensor_1', T0, MIN)));
  assert.ok(empty.ok);
  if (empty.ok) assert.deepEqual(empty.value, emptyAccumulator('sensor_1', T0, MIN));
});

test('corrupt state is reported, not thrown', () => {
  const acc = addRecord(emptyAccumulator('sensor_1', T0, MIN), record({ event_time: T0 }));
  const good = JSON.parse(serializeAccumulator(acc)) as unknown[];
  const variants: unknown[] = [
    'not json',
    [],
    [...good.slice(0, 7)],
    [2, ...good.slice(1)],
    [1, 'sensor_1', T0 + 1, T0 + MIN + 1, ...good.slice(4)],
    [...good.slice(0, 4), -1, ...good.slice(5)],
    [...good.slice(0, 5), null, ...good.slice(6)],
    [...good.slice(0, 6), [], good[7]],
    [...good.slice(0, 7), [1, 2]],
  ];
  for (const v of variants) {
    const r = deserializeAccumulator(typeof v === 'string' ? v : JSON.stringify(v));
    assert.equal(r.ok, false, JSON.stringify(v));
    if (!r.ok) assert.match(r.error, /corrupt window state/);
  }
});
