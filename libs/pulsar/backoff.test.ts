import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffDelay } from './backoff.ts';

test('Backoff (reconnects): doubles from initialMs, caps at maxMs, ±10 % jitter, reset() starts over', () => {
  const mid = new Backoff(100, 1_000, { random: () => 0.5 });
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => mid.next()),
    [100, 200, 400, 800, 1_000, 1_000],
  );
  mid.reset();
  assert.equal(mid.next(), 100);
  assert.equal(new Backoff(100, 1_000, { random: () => 0 }).next(), 90);
  assert.equal(new Backoff(100, 1_000, { random: () => 0.999999 }).next(), 110);
});

test('backoffDelay: a huge attempt number stays at the cap', () => {
  assert.equal(backoffDelay(10_000, { initialMs: 100, maxMs: 5_000, jitter: 0 }), 5_000);
});
