import { test } from 'node:test';
import assert from 'node:assert/strict';

import { backoffDelay } from './backoff.ts';

test('doubles from the initial delay up to the cap', () => {
  const opts = { initialMs: 100, maxMs: 1000, jitter: 0 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, opts)),
    [100, 200, 400, 800, 1000, 1000],
  );
});

test('jitter spreads delays around the base', () => {
  const opts = { initialMs: 1000, jitter: 0.2 };
  assert.equal(backoffDelay(1, { ...opts, random: () => 0 }), 800);
  assert.equal(backoffDelay(1, { ...opts, random: () => 0.5 }), 1000);
  assert.equal(backoffDelay(1, { ...opts, random: () => 0.999999 }), 1200);
});
