import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Fifo } from './fifo.ts';

test('first in, first out across compactions', () => {
  const q = new Fifo<number>();
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

test('clear empties and returns what was left; filter keeps the order', () => {
  const q = new Fifo<string>();
  q.push('a');
  q.push('b');
  q.shift();
  assert.deepEqual(q.clear(), ['b']);
  assert.equal(q.length, 0);
  for (const x of ['c', 'd', 'e', 'f']) q.push(x);
  q.shift();
  assert.deepEqual(
    q.filter((x) => x !== 'e'),
    ['e'],
  );
  assert.deepEqual(q.toArray(), ['d', 'f']);
  assert.equal(q.peek(), 'd');
});
