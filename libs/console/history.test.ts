import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History } from './history.ts';

test('keeps the newest points; a new series is null before it appeared', () => {
  const h = new History(3);
  h.push(1, { a: 1 });
  h.push(2, { a: 2, b: 20 });
  h.push(3, { a: null, b: 30 });
  h.push(4, { a: 4 });
  assert.deepEqual(h.toJSON(), {
    at: [2, 3, 4],
    series: { a: [2, null, 4], b: [20, 30, null] },
  });
});
