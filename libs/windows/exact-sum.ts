/**
 * Exact, order-independent summation of doubles (Shewchuk's algorithm as in Python's
 * math.fsum). The running sum is kept as a short list of non-overlapping partials whose
 * exact total is the exact sum of everything added; `sumOf` rounds that total once,
 * correctly. So the same multiset of values gives the same bits whatever the order of
 * additions or merges — which is what makes a window's result deterministic.
 * Inputs must be finite and moderate (the schema's validation guarantees |x| ≤ 1e12).
 */

/** Adds x into partials in place. Partials stay sorted by increasing magnitude. */
export function addExact(partials: number[], x: number): void {
  let i = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j];
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  // Setting the length of an array is slow in V8; most additions keep it, so only shrink
  // or grow when the number of partials really changes.
  if (i === partials.length) partials.push(x);
  else {
    partials[i] = x;
    if (i + 1 < partials.length) partials.length = i + 1;
  }
}

/** Adds every partial of `from` into `into` (exact merge of two running sums). */
export function mergeExact(into: number[], from: readonly number[]): void {
  for (const p of from) addExact(into, p);
}

/** The correctly rounded value of the exact sum held by partials. */
export function sumOf(partials: readonly number[]): number {
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  // Round half to even across the remaining partials (CPython's fsum correction).
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    const yr = x - hi;
    if (y === yr) hi = x;
  }
  return hi;
}
