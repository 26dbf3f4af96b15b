import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identifier, integerLiteral, stringLiteral } from './sql.ts';
import { whereClause } from './sink.ts';

test('identifiers must be plain names', () => {
  assert.equal(identifier('benchmark'), 'benchmark');
  assert.equal(identifier('it_2024_x'), 'it_2024_x');
  for (const bad of ['', '1abc', 'a-b', 'a.b', 'a b', 'x;DROP'])
    assert.throws(() => identifier(bad), /identifier/);
});

test('string literals escape quotes and backslashes', () => {
  assert.equal(stringLiteral('sensor_1'), "'sensor_1'");
  assert.equal(stringLiteral("o'clock"), "'o\\'clock'");
  assert.equal(stringLiteral('a\\b'), "'a\\\\b'");
  assert.equal(stringLiteral("\\'"), "'\\\\\\''");
});

test('integer literals refuse anything but integers', () => {
  assert.equal(integerLiteral(42), '42');
  assert.throws(() => integerLiteral(1.5), RangeError);
  assert.throws(() => integerLiteral(Number.NaN), RangeError);
});

test('filters become WHERE clauses with second-aligned bounds', () => {
  assert.equal(whereClause('window_start', {}, 'seconds'), '');
  assert.equal(
    whereClause(
      'window_start',
      { deviceIds: ['a', "b'"], fromMs: 60_000, toMs: 120_500 },
      'seconds',
    ),
    "WHERE device_id IN ('a', 'b\\'') AND toUInt32(window_start) >= 60 AND toUInt32(window_start) < 121",
  );
  assert.equal(
    whereClause('window_start', { fromMs: 60_001 }, 'seconds'),
    'WHERE toUInt32(window_start) >= 61',
  );
  assert.equal(whereClause('window_start', { deviceIds: [] }, 'seconds'), 'WHERE 0');
  assert.equal(
    whereClause('event_time_ms', { fromMs: 5, toMs: 9 }, 'ms'),
    'WHERE event_time_ms >= 5 AND event_time_ms < 9',
  );
});
