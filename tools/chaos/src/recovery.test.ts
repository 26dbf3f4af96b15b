import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p50Max, recoveryOf, type Sample } from './recovery.ts';

const at = (s: number, backlog: number | undefined): Sample => ({ atMs: s * 1000, backlog });

test('recovery: from the fault start to the first sample back at the pre-fault level', () => {
  const samples = [
    at(0, 100),
    at(2, 300),
    at(4, 200), // fault at 4 s, ends at 8 s
    at(6, undefined), // broker down: unreadable
    at(8, 5_000),
    at(10, 900),
    at(12, 250), // ≤ 300, the highest in the 10 s before
    at(14, 50),
  ];
  assert.deepEqual(recoveryOf(samples, 4_000, 8_000), {
    preFault: 300,
    peak: 5_000,
    recoverMs: 8_000,
    catchUpMs: 4_000,
  });
});

test('recovery: never before the fault ended, and undefined when it never came back', () => {
  const samples = [at(0, 100), at(2, 50), at(4, 600), at(6, 400)];
  assert.equal(recoveryOf(samples, 1_000, 3_000).recoverMs, undefined);
  assert.equal(recoveryOf(samples, 1_000, 3_000).catchUpMs, undefined);
  const back = recoveryOf([at(0, 100), at(2, 10), at(4, 10)], 1_000, 3_000);
  assert.equal(back.recoverMs, 3_000);
  assert.equal(back.catchUpMs, 1_000);
});

test('p50 and max', () => {
  assert.deepEqual(p50Max([]), {});
  assert.deepEqual(p50Max([5, 1, 3]), { p50: 3, max: 5 });
  assert.deepEqual(p50Max([4, 1, 3, 2]), { p50: 2, max: 4 });
});

test('recovery: with nothing readable just before the fault, the last level read counts', () => {
  const samples = [at(0, 70), at(2, undefined), at(14, undefined), at(16, 60), at(18, 90)];
  assert.deepEqual(recoveryOf(samples, 15_000, 15_500), {
    preFault: 70,
    peak: 60,
    recoverMs: 1_000,
    catchUpMs: 500,
  });
});
