import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AggregateRow } from '@iot/windows';
import { expectedFromParams } from './expected.ts';
import { compareCounts, compareRows, formatComparison, isClean } from './compare.ts';

const rows = expectedFromParams({
  seed: 3,
  devices: 5,
  durationMs: 180_000,
  ratePerSec: 5,
  partitions: 1,
}).rows;

test('identical rows: the exact line with zero problems', () => {
  const c = compareRows(
    rows,
    rows.map((r) => ({ ...r, version: 1 })),
  );
  assert.ok(isClean(c));
  assert.equal(c.matched, rows.length);
  assert.equal(formatComparison(c), `exact: ${rows.length} rows, 0 missing, 0 extra, 0 mismatched`);
});

test('missing, extra, duplicated and mismatched rows are each reported with the fields that differ', () => {
  const [r0, r1, r2, ...rest] = rows as [
    AggregateRow,
    AggregateRow,
    AggregateRow,
    ...AggregateRow[],
  ];
  const actual = [
    { ...r1, temperature_avg: r1.temperature_avg + 1e-12, count: r1.count + 1 },
    r2,
    r2,
    ...rest,
    { ...r0, device_id: 'sensor_999' },
  ];
  const c = compareRows(rows, actual);
  assert.deepEqual(c.missing, [{ device_id: r0.device_id, window_start: r0.window_start }]);
  assert.deepEqual(c.extra.map((k) => k.device_id).sort(), [r2.device_id, 'sensor_999'].sort());
  assert.deepEqual(c.duplicated, [{ device_id: r2.device_id, window_start: r2.window_start }]);
  assert.equal(c.mismatched.length, 1);
  assert.deepEqual(
    c.mismatched[0]?.diffs.map((d) => d.field),
    ['count', 'temperature_avg'],
  );
  const text = formatComparison(c);
  assert.match(text, new RegExp(`^exact: ${rows.length} rows, 1 missing, 2 extra, 1 mismatched\n`));
  assert.match(text, /count expected \d+ got \d+/);
  assert.match(text, /\(duplicate key\)/);
  assert.ok(!isClean(c));
});

test('a tolerance accepts float noise but not real differences', () => {
  const [r0] = rows as [AggregateRow];
  const noisy = [{ ...r0, temperature_sum: r0.temperature_sum * (1 + 1e-13) }];
  assert.equal(compareRows([r0], noisy).mismatched.length, 1);
  const c = compareRows([r0], noisy, { tolerance: 1e-9 });
  assert.ok(isClean(c));
  assert.match(formatComparison(c), /^within ±1e-9: 1 rows, 0 missing, 0 extra, 0 mismatched$/);
  assert.equal(
    compareRows([r0], [{ ...r0, temperature_sum: r0.temperature_sum + 1 }], { tolerance: 1e-9 })
      .mismatched.length,
    1,
  );
});

test('a quoted number from ClickHouse is a mismatch (conversion forgotten)', () => {
  const [r0] = rows as [AggregateRow];
  const c = compareRows([r0], [{ ...r0, bytes_sent: String(r0.bytes_sent) }]);
  assert.deepEqual(c.mismatched[0]?.diffs, [
    { field: 'bytes_sent', expected: r0.bytes_sent, actual: String(r0.bytes_sent) },
  ]);
});

test('details are capped', () => {
  const c = compareRows(rows, []);
  const text = formatComparison(c, 2);
  assert.match(text, new RegExp(`missing \\(${rows.length}\\):`));
  assert.match(text, new RegExp(`… ${rows.length - 2} more`));
});

test('count comparison lists only differences', () => {
  assert.deepEqual(compareCounts({ late: 3, undecodable: 2 }, { late: 3, undecodable: 2 }), []);
  assert.deepEqual(compareCounts({ late: 3, nan_value: 1 }, { late: 4, bad_status: 1 }), [
    'bad_status: expected 0, got 1',
    'late: expected 3, got 4',
    'nan_value: expected 1, got 0',
  ]);
});
