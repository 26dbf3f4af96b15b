import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGGREGATE_COLUMNS, type AggregateRow } from '@iot/windows';
import {
  aggregateFromClickHouse,
  aggregateToClickHouse,
  alertFromClickHouse,
  alertToClickHouse,
  dominantStatus,
  sensorsLocalFromAggregate,
} from './rows.ts';
import { SENSORS_LOCAL_COLUMNS } from './ddl.ts';

function sampleRow(patch: Partial<AggregateRow> = {}): AggregateRow {
  const row: Record<string, string | number> = {};
  AGGREGATE_COLUMNS.forEach((c, i) => (row[c] = i + 0.5));
  return {
    ...(row as AggregateRow),
    device_id: 'sensor_1',
    device_type: 'temperature_sensor',
    customer_id: 'customer_0001',
    site_id: 'site_001',
    window_start: 1_700_000_040_000,
    window_end: 1_700_000_100_000,
    count: 3,
    motion_count: 0,
    status_online: 1,
    status_offline: 0,
    status_maintenance: 1,
    status_error: 1,
    ...patch,
  };
}

test('aggregate rows go out with DateTime seconds and a version', () => {
  const out = aggregateToClickHouse({ ...sampleRow(), version: 7 });
  assert.equal(out.window_start, 1_700_000_040);
  assert.equal(out.window_end, 1_700_000_100);
  assert.equal(out.version, 7);
  assert.equal(aggregateToClickHouse(sampleRow()).version, 0);
  assert.throws(() => aggregateToClickHouse(sampleRow({ window_start: 1_500 })), /whole second/);
});

test('rows read back (quoted UInt64, seconds) equal what was written', () => {
  const row = sampleRow();
  const wire = aggregateToClickHouse({ ...row, version: 3 });
  const raw: Record<string, unknown> = {
    ...wire,
    window_start_s: wire.window_start,
    window_end_s: wire.window_end,
  };
  raw.bytes_sent = String(raw.bytes_sent);
  raw.version = '3';
  delete raw.window_start;
  delete raw.window_end;
  assert.deepEqual(aggregateFromClickHouse(raw, AGGREGATE_COLUMNS), { ...row, version: 3 });
  assert.throws(
    () => aggregateFromClickHouse({ ...raw, count: 'many' }, AGGREGATE_COLUMNS),
    /count/,
  );
});

test('sensors_local row: averages at time = window_start, totals, motion flag, dominant status', () => {
  const row = sampleRow({ temperature_avg: 21.5, motion_count: 2 });
  const out = sensorsLocalFromAggregate(row);
  assert.deepEqual(Object.keys(out).sort(), SENSORS_LOCAL_COLUMNS.map(([n]) => n).sort());
  assert.equal(out.time, 1_700_000_040);
  assert.equal(out.temperature, 21.5);
  assert.equal(out.motion_detected, 1);
  assert.equal(out.status, 4, 'tie of 1/1/1 → most severe');
  assert.equal(out.bytes_sent, row.bytes_sent);
  assert.equal(sensorsLocalFromAggregate(sampleRow({ motion_count: 0 })).motion_detected, 0);
});

test('dominant status is the most frequent, ties to the more severe', () => {
  const s = (online: number, offline: number, maintenance: number, error: number) =>
    dominantStatus({
      status_online: online,
      status_offline: offline,
      status_maintenance: maintenance,
      status_error: error,
    });
  assert.equal(s(5, 1, 0, 0), 1);
  assert.equal(s(1, 3, 3, 0), 3);
  assert.equal(s(2, 2, 0, 0), 2);
  assert.equal(s(0, 0, 0, 1), 4);
});

test('alerts keep millisecond time beside the DateTime', () => {
  const alert = {
    device_id: 'd',
    event_time: 1_700_000_000_123,
    kind: 'low_battery',
    source: 'reading',
    value: 10,
    threshold: 20,
  } as const;
  const out = alertToClickHouse(alert);
  assert.equal(out.event_time, 1_700_000_000);
  assert.equal(out.event_time_ms, 1_700_000_000_123);
  assert.deepEqual(alertFromClickHouse({ ...out, event_time_ms: '1700000000123', version: '0' }), {
    ...alert,
    version: 0,
  });
  assert.throws(() => alertToClickHouse({ ...alert, event_time: 1.5 }), RangeError);
});

test('a window error_count total beyond UInt32 saturates in sensors_local only', () => {
  const row = sampleRow({ error_count: 6_000_000_000, packets_sent: 2 ** 40 });
  const out = sensorsLocalFromAggregate(row);
  assert.equal(out.error_count, 0xffffffff);
  assert.equal(out.packets_sent, 2 ** 40);
  assert.equal(aggregateToClickHouse(row).error_count, 6_000_000_000);
});
