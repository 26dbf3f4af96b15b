import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertDigest, compareAlerts, type DigestedAlert } from './alert-digest.ts';

const T0 = Date.UTC(2026, 0, 1);
const alert = (i: number, patch: Partial<DigestedAlert> = {}): DigestedAlert => ({
  device_id: `sensor_${i % 7}`,
  event_time: T0 + i * 997,
  kind: i % 2 === 0 ? 'temperature_high' : 'battery_low',
  value: 40 + i / 8,
  threshold: 35,
  source: 'reading',
  ...patch,
});
const digestOf = (list: readonly DigestedAlert[]) => {
  const d = new AlertDigest();
  for (const a of list) d.add(a);
  return d;
};

test('digests: equal for the same alerts in any order, per minute of event time', () => {
  const list = Array.from({ length: 500 }, (_, i) => alert(i));
  const a = digestOf(list);
  const b = digestOf([...list].reverse());
  assert.deepEqual(AlertDigest.differing(a, b), []);
  assert.equal(a.total, 500);
  assert.equal(a.bucketStarts().length, Math.ceil((499 * 997) / 60_000));
  assert.equal(a.bucketStarts()[0], T0);
});

test('digests: a missing, a duplicated or a changed alert marks only its minute', () => {
  const list = Array.from({ length: 500 }, (_, i) => alert(i));
  const want = digestOf(list);
  const minuteOf = (i: number) => want.bucketOf(list[i]!.event_time);

  const missing = digestOf(list.filter((_, i) => i !== 100));
  assert.deepEqual(AlertDigest.differing(want, missing), [minuteOf(100)]);

  const duplicated = digestOf([...list, list[200]!]);
  assert.deepEqual(AlertDigest.differing(want, duplicated), [minuteOf(200)]);

  // Another reading's value, the same count: only the sums tell.
  const changed = digestOf(list.map((a, i) => (i === 300 ? { ...a, value: a.value + 0.5 } : a)));
  assert.deepEqual(AlertDigest.differing(want, changed), [minuteOf(300)]);
  assert.equal(changed.countIn(minuteOf(300)), want.countIn(minuteOf(300)));

  // Two alerts swapping their values keep the minute's count but not its sums.
  const swapped = digestOf(
    list.map((a, i) =>
      i === 10 ? { ...a, value: list[11]!.value } : i === 11 ? { ...a, value: list[10]!.value } : a,
    ),
  );
  assert.deepEqual(AlertDigest.differing(want, swapped), [minuteOf(10)]);
});

test('alert by alert: missing, extra and mismatched, with examples', () => {
  const want = [alert(1), alert(2), alert(3), alert(3, { value: 99 })];
  const got = [alert(2), alert(3, { value: 98 }), alert(3), alert(4)];
  const c = compareAlerts(want, got);
  assert.equal(c.missing, 1, 'alert 1');
  assert.equal(c.extra, 1, 'alert 4');
  assert.equal(c.mismatched, 1, 'value 99 stored as 98');
  assert.ok(c.examples.some((e) => e.includes('expected 99|35|reading got 98|35|reading')));
  assert.deepEqual(compareAlerts(want, [...want].reverse()), {
    missing: 0,
    extra: 0,
    mismatched: 0,
    examples: [],
  });
});
