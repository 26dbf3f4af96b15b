import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedWindows, isWindowClosed, windowEnd, windowStart } from './window.ts';

const MIN = 60_000;

test('window start floors to the size; a timestamp on a boundary opens the next window', () => {
  assert.equal(windowStart(0, MIN), 0);
  assert.equal(windowStart(59_999, MIN), 0);
  assert.equal(windowStart(60_000, MIN), 60_000);
  assert.equal(windowStart(60_001, MIN), 60_000);
  assert.equal(windowEnd(59_999, MIN), 60_000);
  assert.equal(windowEnd(60_000, MIN), 120_000);
  assert.equal(windowStart(1_700_000_012_345), 1_699_999_980_000, 'default size is one minute');
});

test('negative times floor toward minus infinity', () => {
  assert.equal(windowStart(-1, MIN), -60_000);
  assert.equal(windowStart(-60_000, MIN), -60_000);
  assert.equal(windowStart(-60_001, MIN), -120_000);
  assert.equal(windowEnd(-1, MIN), 0);
});

test('large timestamps stay exact', () => {
  const big = Number.MAX_SAFE_INTEGER - 5;
  const s = windowStart(big, MIN);
  assert.ok(s <= big && big < s + MIN);
  assert.equal(s % MIN, 0);
  assert.equal(windowStart(4_294_967_294_999, 1000), 4_294_967_294_000);
});

test('bad sizes and fractional times are programming errors', () => {
  assert.throws(() => windowStart(5, 0), RangeError);
  assert.throws(() => windowStart(5, -60_000), RangeError);
  assert.throws(() => windowStart(5, 1.5), RangeError);
  assert.throws(() => windowStart(5.5, MIN), RangeError);
  assert.throws(() => windowStart(Number.NaN, MIN), RangeError);
});

test('a window closes exactly when the watermark reaches its end', () => {
  assert.equal(isWindowClosed(0, MIN, null), false);
  assert.equal(isWindowClosed(0, MIN, 59_999), false);
  assert.equal(isWindowClosed(0, MIN, 60_000), true);
  assert.equal(isWindowClosed(60_000, MIN, 60_000), false);
  assert.deepEqual(closedWindows([180_000, 0, 120_000, 60_000], MIN, 125_000), [0, 60_000]);
  assert.deepEqual(closedWindows([0], MIN, null), []);
});
