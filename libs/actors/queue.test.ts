import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Queue } from './queue.ts';

test('first in, first out across compactions', () => {
  const q = new Queue<number>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 300; i++) q.push(next++);
    for (const n of q.take(250)) assert.equal(n, expected++);
  }
  assert.equal(q.length, next - expected);
  while (q.length > 0) assert.equal(q.shift(), expected++);
  assert.equal(q.shift(), undefined);
});

test('clear empties and counts', () => {
  const q = new Queue<string>();
  q.push('a');
  q.push('b');
  q.shift();
  assert.equal(q.clear(), 1);
  assert.equal(q.length, 0);
});
