// XXH64 (seed 0), which ZSTD uses for its optional content checksum. JavaScript has no
// fast 64-bit integers (BigInt allocates on every operation), so each 64-bit value is a
// pair of unsigned 32-bit halves and the arithmetic below works on those halves.

// The five XXH64 primes as [high, low] halves.
const P1H = 0x9e3779b1;
const P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d;
const P2L = 0x27d4eb4f;
const P3H = 0x165667b1;
const P3L = 0x9e3779f9;
const P4H = 0x85ebca77;
const P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f;
const P5L = 0x165667c5;

// Results of the helpers: one 64-bit register, so the hot loop allocates nothing.
let rh = 0;
let rl = 0;

/** (ah:al) * (bh:bl) mod 2^64 → rh:rl. */
function mul(ah: number, al: number, bh: number, bl: number): void {
  // The low halves' full 64-bit product from 16-bit limbs (every partial product < 2^32).
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const low = a0 * b0;
  const midA = a1 * b0;
  const midB = a0 * b1;
  const carry = (low >>> 16) + (midA & 0xffff) + (midB & 0xffff);
  rl = (((carry & 0xffff) << 16) | (low & 0xffff)) >>> 0;
  const high = a1 * b1 + (midA >>> 16) + (midB >>> 16) + (carry >>> 16);
  rh = (high + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** (ah:al) + (bh:bl) mod 2^64 → rh:rl. */
function add(ah: number, al: number, bh: number, bl: number): void {
  const low = al + bl;
  rl = low >>> 0;
  rh = (ah + bh + (low > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Rotate left by 0 < r < 32 → rh:rl. */
function rotl(h: number, l: number, r: number): void {
  rh = ((h << r) | (l >>> (32 - r))) >>> 0;
  rl = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** XXH64's round: acc = rotl(acc + input * P2, 31) * P1 → rh:rl. */
function round(acch: number, accl: number, inh: number, inl: number): void {
  mul(inh, inl, P2H, P2L);
  add(acch, accl, rh, rl);
  rotl(rh, rl, 31);
  mul(rh, rl, P1H, P1L);
}

/** Folds one accumulator into the hash: h = (h ^ round(0, v)) * P1 + P4 → rh:rl. */
function merge(hh: number, hl: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, P1H, P1L);
  add(rh, rl, P4H, P4L);
}

const P1L0 = P1L & 0xffff;
const P1L1 = P1L >>> 16;
const P2L0 = P2L & 0xffff;
const P2L1 = P2L >>> 16;

/**
 * The 32-byte stripes, the bulk of the work: `round` on each of the four lanes, written out
 * with locals and the primes' 16-bit limbs (several times faster than the helpers).
 * Lanes are [high, low] pairs in `v`; returns the position after the last stripe.
 */
function stripes(data: Uint8Array, start: number, limit: number, v: Uint32Array): number {
  let p = start;
  while (p <= limit) {
    for (let k = 0; k < 8; k += 2, p += 8) {
      const il =
        (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
      const ih =
        (data[p + 4]! | (data[p + 5]! << 8) | (data[p + 6]! << 16) | (data[p + 7]! << 24)) >>> 0;
      // m = input * P2
      let x0 = il & 0xffff;
      let x1 = il >>> 16;
      let low = x0 * P2L0;
      let midA = x1 * P2L0;
      let midB = x0 * P2L1;
      let carry = (low >>> 16) + (midA & 0xffff) + (midB & 0xffff);
      const ml = (((carry & 0xffff) << 16) | (low & 0xffff)) >>> 0;
      const mh =
        (x1 * P2L1 +
          (midA >>> 16) +
          (midB >>> 16) +
          (carry >>> 16) +
          Math.imul(ih, P2L) +
          Math.imul(il, P2H)) >>>
        0;
      // acc += m, then rotl 31
      const sum = v[k + 1]! + ml;
      const al = sum >>> 0;
      const ah = (v[k]! + mh + (sum > 0xffffffff ? 1 : 0)) >>> 0;
      const rh = ((ah << 31) | (al >>> 1)) >>> 0;
      const rl = ((al << 31) | (ah >>> 1)) >>> 0;
      // acc *= P1
      x0 = rl & 0xffff;
      x1 = rl >>> 16;
      low = x0 * P1L0;
      midA = x1 * P1L0;
      midB = x0 * P1L1;
      carry = (low >>> 16) + (midA & 0xffff) + (midB & 0xffff);
      v[k + 1] = ((carry & 0xffff) << 16) | (low & 0xffff);
      v[k] =
        x1 * P1L1 +
        (midA >>> 16) +
        (midB >>> 16) +
        (carry >>> 16) +
        Math.imul(rh, P1L) +
        Math.imul(rl, P1H);
    }
  }
  return p;
}

/** XXH64 with seed 0 of data[start, end), as [high, low] 32-bit halves. */
export function xxhash64(data: Uint8Array, start = 0, end = data.length): [number, number] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const len = end - start;
  let p = start;
  let hh: number;
  let hl: number;
  if (len >= 32) {
    // Four lanes start at seed + P1 + P2, seed + P2, seed, seed - P1.
    add(P1H, P1L, P2H, P2L);
    let v1h = rh;
    let v1l = rl;
    let v2h = P2H;
    let v2l = P2L;
    let v3h = 0;
    let v3l = 0;
    // -P1 = ~P1 + 1; the low half is non-zero, so no carry reaches the high half.
    let v4h = ~P1H >>> 0;
    let v4l = -P1L >>> 0;
    const lanes = Uint32Array.of(v1h, v1l, v2h, v2l, v3h, v3l, v4h, v4l);
    p = stripes(data, p, end - 32, lanes);
    [v1h, v1l, v2h, v2l, v3h, v3l, v4h, v4l] = lanes;
    rotl(v1h, v1l, 1);
    hh = rh;
    hl = rl;
    rotl(v2h, v2l, 7);
    add(hh, hl, rh, rl);
    hh = rh;
    hl = rl;
    rotl(v3h, v3l, 12);
    add(hh, hl, rh, rl);
    hh = rh;
    hl = rl;
    rotl(v4h, v4l, 18);
    add(hh, hl, rh, rl);
    merge(rh, rl, v1h, v1l);
    merge(rh, rl, v2h, v2l);
    merge(rh, rl, v3h, v3l);
    merge(rh, rl, v4h, v4l);
    hh = rh;
    hl = rl;
  } else {
    hh = P5H;
    hl = P5L;
  }
  // len < 2^53, so its high half is len / 2^32.
  add(hh, hl, Math.floor(len / 0x100000000), len >>> 0);
  hh = rh;
  hl = rl;
  while (p + 8 <= end) {
    round(0, 0, view.getUint32(p + 4, true), view.getUint32(p, true));
    rotl((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, 27);
    mul(rh, rl, P1H, P1L);
    add(rh, rl, P4H, P4L);
    hh = rh;
    hl = rl;
    p += 8;
  }
  if (p + 4 <= end) {
    mul(0, view.getUint32(p, true), P1H, P1L);
    rotl((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, 23);
    mul(rh, rl, P2H, P2L);
    add(rh, rl, P3H, P3L);
    hh = rh;
    hl = rl;
    p += 4;
  }
  while (p < end) {
    mul(0, data[p]!, P5H, P5L);
    rotl((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, 11);
    mul(rh, rl, P1H, P1L);
    hh = rh;
    hl = rl;
    p++;
  }
  // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
  hl = (hl ^ (hh >>> 1)) >>> 0;
  mul(hh, hl, P2H, P2L);
  hh = (rh ^ (rh >>> 29)) >>> 0;
  hl = (rl ^ ((rl >>> 29) | (rh << 3))) >>> 0;
  mul(hh, hl, P3H, P3L);
  hh = rh;
  hl = (rl ^ rh) >>> 0;
  return [hh, hl];
}
