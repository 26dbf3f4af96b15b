/**
 * mulberry32: a tiny 32-bit seeded PRNG. Fast, good enough for load shapes, and identical on
 * every platform (integer arithmetic only), which is what makes streams reproducible.
 */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Value rounded to 2 decimals, as real sensors report. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
