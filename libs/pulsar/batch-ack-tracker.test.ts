import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchAckTracker, ackSetHas, ackSetOf } from './batch-ack-tracker.ts';

test('an entry completes only when every index is acked, in any order', () => {
  const t = new BatchAckTracker();
  t.register(1n, 2n, 3);
  assert.equal(t.ack(1n, 2n, 2, 3), false);
  assert.equal(t.ack(1n, 2n, 2, 3), false, 'double ack does not count twice');
  assert.equal(t.ack(1n, 2n, 0, 3), false);
  assert.equal(t.ack(1n, 2n, 1, 3), true);
  assert.equal(t.size, 0);
});

test('indexes the broker reports as acked are pre-marked', () => {
  const t = new BatchAckTracker();
  // ack_set bit set = still to deliver; here only index 2 remains
  const ackSet = [0b100n];
  t.register(1n, 5n, 3, (i) => !ackSetHas(ackSet, i));
  assert.equal(t.ack(1n, 5n, 2, 3), true);
});

test('cumulative helpers', () => {
  const t = new BatchAckTracker();
  assert.equal(t.ackUpTo(1n, 1n, 1, 4), false);
  assert.equal(t.ackUpTo(1n, 1n, 3, 4), true);
  t.register(1n, 2n, 2);
  t.register(2n, 0n, 2);
  t.forgetUpTo(1n, 9n);
  assert.equal(t.size, 1);
});

test('ackSetHas reads 64-bit little-endian words, negative longs included', () => {
  assert.equal(ackSetHas([1n], 0), true);
  assert.equal(ackSetHas([1n], 1), false);
  assert.equal(ackSetHas([0n, 2n], 65), true);
  assert.equal(ackSetHas([-1n], 63), true);
  assert.equal(ackSetHas([], 0), false);
});

test('ackSetOf writes what ackSetHas reads, across words and in the sign bit', () => {
  for (const size of [1, 5, 63, 64, 65, 130]) {
    const isSet = (i: number) => (i * 7) % 3 === 0 || i === 63;
    const words = ackSetOf(size, isSet);
    assert.equal(words.length, Math.ceil(size / 64));
    for (const w of words) assert.equal(BigInt.asIntN(64, w), w, 'signed 64-bit words');
    for (let i = 0; i < size; i++) assert.equal(ackSetHas(words, i), isSet(i), `bit ${i}`);
  }
});

test('unackedSet lists what is left of a partly acknowledged entry', () => {
  const t = new BatchAckTracker();
  t.register(3n, 4n, 10);
  t.ack(3n, 4n, 0, 10);
  t.ack(3n, 4n, 7, 10);
  const left = t.unackedSet(3n, 4n)!;
  for (let i = 0; i < 10; i++) assert.equal(ackSetHas(left, i), i !== 0 && i !== 7);
  assert.equal(t.unackedSet(3n, 5n), undefined);
});
