// One source of truth: every reading validateRecord accepts becomes a sensors_local row (and
// a sensor_aggregates row) that the column types hold, so no accepted reading can make
// ClickHouse refuse a batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  COUNTER_LIMITS,
  INTEGER_MAX,
  MAX_EVENT_TIME_MS,
  SENSORS_LOCAL_COLUMNS,
  decodeLegacyJson,
  validateRecord,
  type SensorRecord,
} from '@iot/schema';
import { accumulatorFor, addRecord, finalizeWindow } from '@iot/windows';
import { AGGREGATE_TABLE_COLUMNS } from './ddl.ts';
import { encodeRowBinary } from './rowbinary.ts';
import { aggregateToClickHouse, sensorsLocalFromAggregate } from './rows.ts';

function base(): SensorRecord {
  const r = decodeLegacyJson(
    Buffer.from('{"sensorId": 1, "temperature": 20, "timestamp": 1700000000000}'),
    0,
  );
  assert.ok(r.ok);
  return r.value;
}

// Values on and around every integer bound, plus arbitrary ones.
const edges = [
  ...Object.values(INTEGER_MAX).flatMap((m) => [m - 1, m, m + 1]),
  ...Object.values(COUNTER_LIMITS).flatMap((m) => [m, m + 1]),
  MAX_EVENT_TIME_MS - 1,
  MAX_EVENT_TIME_MS,
  5_000_000_000,
  -1,
  0,
  1,
  2,
  4,
  5,
  0.5,
];
const number = fc.oneof(
  fc.constantFrom(...edges),
  fc.integer({ min: -1, max: 2 ** 33 }),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true }),
);
const numericField = fc.constantFrom(
  ...SENSORS_LOCAL_COLUMNS.filter(([, t]) => t !== 'String').map(([name]) =>
    name === 'time' ? 'event_time' : name,
  ),
);

test('property: every reading the validator accepts fits the sensors_local and aggregate columns', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.array(fc.tuple(numericField, number), { maxLength: 4 }), (patch) => {
      const record: Record<string, unknown> = { ...base() };
      for (const [field, value] of patch) record[field] = value;
      const r = validateRecord(record as unknown as SensorRecord);
      if (!r.ok) return;
      accepted++;
      const acc = accumulatorFor(r.value, 60_000);
      addRecord(acc, r.value);
      const row = finalizeWindow(acc);
      encodeRowBinary(SENSORS_LOCAL_COLUMNS, [sensorsLocalFromAggregate(row)]);
      encodeRowBinary(AGGREGATE_TABLE_COLUMNS, [aggregateToClickHouse(row)]);
    }),
    { numRuns: 5_000 },
  );
  assert.ok(accepted > 500, `only ${accepted} accepted cases; the generator is off`);
});

test('a legacy-sized error_count of 5,000,000,000 is refused; UInt32 max is stored', () => {
  assert.equal(COUNTER_LIMITS.error_count, 0xffffffff);
  const refused = validateRecord({ ...base(), error_count: 5_000_000_000 });
  assert.equal(refused.ok ? 'ok' : refused.reason, 'out_of_range');
  const max = validateRecord({ ...base(), error_count: 0xffffffff });
  assert.ok(max.ok);
});
