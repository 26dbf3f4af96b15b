import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addExact, mergeExact, sumOf } from './exact-sum.ts';

const fsum = (xs: readonly number[]): number => {
  const p: number[] = [];
  for (const x of xs) addExact(p, x);
  return sumOf(p);
};

test('known exact sums (CPython fsum cases)', () => {
  assert.equal(fsum([]), 0);
  assert.equal(fsum(Array(10).fill(0.1)), 1);
  assert.notEqual(
    Array(10)
      .fill(0.1)
      .reduce((a, b) => a + b, 0),
    1,
    'naive summation is off',
  );
  assert.equal(fsum([1e100, 1, -1e100, 1e-100, 1e50, -1, -1e50]), 1e-100);
  assert.equal(fsum([2 ** 53, -0.5, -(2 ** -54)]), 2 ** 53 - 1);
  assert.equal(fsum([2 ** 53, 1, 2 ** -100]), 2 ** 53 + 2, 'half-way case rounds by the tail');
  assert.equal(fsum([2 ** 53, 1]), 2 ** 53, 'exact half rounds to even');
  assert.equal(fsum([1e16, 1, -1e16]), 1);
});

test('order does not change a single bit', () => {
  let seed = 7;
  const rnd = (): number => (
    (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0),
    seed / 2 ** 32
  );
  for (let round = 0; round < 50; round++) {
    const xs = Array.from({ length: 200 }, () => (rnd() - 0.3) * 10 ** Math.floor(rnd() * 8));
    const expected = fsum(xs);
    for (let k = 0; k < 5; k++) {
      const shuffled = [...xs];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      assert.ok(Object.is(fsum(shuffled), expected));
    }
  }
});

test('merging partials equals adding every value', () => {
  const a: number[] = [];
  const b: number[] = [];
  const xs = [0.1, 0.7, 1e-9, 123.456, -0.3, 5e11, -5e11, 0.2];
  xs.slice(0, 3).forEach((x) => addExact(a, x));
  xs.slice(3).forEach((x) => addExact(b, x));
  mergeExact(a, b);
  assert.equal(sumOf(a), fsum(xs));
});
