// Finite State Entropy (tANS) as ZSTD uses it (RFC 8878 §4.1): reading a table description
// (normalized counts), building decoding tables, the backward bit streams FSE and Huffman
// codes are read from, and the matching writer and encoding tables for the compressor.
import { CompressionError } from './errors.ts';

export function corrupt(why: string): never {
  throw new CompressionError(`corrupt ZSTD data: ${why}`);
}

/** Position of the highest set bit of v > 0. */
export function highBit(v: number): number {
  return 31 - Math.clz32(v);
}

/**
 * Reads a bit stream written forwards but read from its end (RFC 8878 §4.1): the last byte's
 * highest set bit marks where the data starts. Reading past the beginning yields zero bits
 * and leaves `pos` negative, which callers treat as corruption (or, for Huffman weights, as
 * the end signal).
 */
export class BackwardBitReader {
  /** Bits not yet read, counted from the stream's first byte. */
  pos: number;

  constructor(
    private readonly buf: Uint8Array,
    private readonly start: number,
    end: number,
    what: string,
  ) {
    if (end <= start) corrupt(`empty ${what} bit stream`);
    const last = buf[end - 1]!;
    if (last === 0) corrupt(`${what} bit stream has no end marker`);
    this.pos = (end - start - 1) * 8 + highBit(last);
  }

  /** The next n ≤ 24 bits without consuming them. */
  peek(n: number): number {
    const p = this.pos - n;
    if (p >= 0) {
      const b = this.buf;
      const i = this.start + (p >>> 3);
      // Bytes past the stream's end only reach bits the mask below drops.
      const word = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
      return (word >>> (p & 7)) & ((1 << n) - 1);
    }
    const avail = this.pos;
    if (avail <= 0) return 0;
    // Fewer than n bits left: they are the value's high bits, zeros below.
    const b = this.buf;
    const word = b[this.start]! | (b[this.start + 1]! << 8) | (b[this.start + 2]! << 16);
    return (word & ((1 << avail) - 1)) << -p;
  }

  /** Reads n ≤ 24 bits. */
  read(n: number): number {
    if (n === 0) return 0;
    const v = this.peek(n);
    this.pos -= n;
    return v;
  }

  /** Reads up to 31 bits (offset extra bits can exceed what peek handles at once). */
  readLong(n: number): number {
    if (n <= 24) return this.read(n);
    const high = this.read(n - 24);
    return high * 0x1000000 + this.read(24);
  }
}

/** An FSE decoding table: for each state its symbol, bits to read and the next base state. */
export interface FseTable {
  readonly accuracyLog: number;
  readonly symbol: Uint8Array;
  readonly nbBits: Uint8Array;
  readonly baseline: Uint16Array;
}

/**
 * Reads an FSE table description (RFC 8878 §4.1.1) from src[start, end).
 * Returns the normalized counts (-1 = "less than one") and the bytes it took.
 */
export function readNormalizedCounts(
  src: Uint8Array,
  start: number,
  end: number,
  maxSymbol: number,
  maxLog: number,
  what: string,
): { counts: Int16Array; accuracyLog: number; bytes: number } {
  const totalBits = (end - start) * 8;
  let bitPos = 0;
  // Bits at the stream's end read as zeros; overrunning is caught after the loop.
  const peek = (n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++) {
      const bit = bitPos + k;
      if (bit >= totalBits) break;
      v |= ((src[start + (bit >>> 3)]! >>> (bit & 7)) & 1) << k;
    }
    return v;
  };
  if (totalBits < 8) corrupt(`truncated ${what} table description`);
  const accuracyLog = peek(4) + 5;
  bitPos = 4;
  if (accuracyLog > maxLog) corrupt(`${what} accuracy log ${accuracyLog} exceeds ${maxLog}`);
  const counts = new Int16Array(maxSymbol + 1);
  let remaining = (1 << accuracyLog) + 1;
  let threshold = 1 << accuracyLog;
  let nbBits = accuracyLog + 1;
  let symbol = 0;
  let previousZero = false;
  while (remaining > 1) {
    if (previousZero) {
      // A zero count is followed by 2-bit repeat flags: 3 means "3 more zeros, read again".
      let repeat = peek(2);
      bitPos += 2;
      let zeros = repeat;
      while (repeat === 3) {
        if (bitPos > totalBits) corrupt(`truncated ${what} table description`);
        repeat = peek(2);
        bitPos += 2;
        zeros += repeat;
      }
      symbol += zeros;
      if (symbol > maxSymbol) corrupt(`${what} table description has too many symbols`);
    }
    if (symbol > maxSymbol) corrupt(`${what} table description has too many symbols`);
    const max = 2 * threshold - 1 - remaining;
    let count: number;
    const low = peek(nbBits - 1);
    if (low < max) {
      count = low;
      bitPos += nbBits - 1;
    } else {
      count = peek(nbBits);
      if (count >= threshold) count -= max;
      bitPos += nbBits;
    }
    count -= 1; // coded as count + 1, so that -1 fits
    remaining -= count < 0 ? -count : count;
    counts[symbol++] = count;
    previousZero = count === 0;
    while (remaining < threshold) {
      nbBits--;
      threshold >>= 1;
    }
    if (bitPos > totalBits) corrupt(`truncated ${what} table description`);
  }
  if (remaining !== 1) corrupt(`${what} probabilities do not sum to the table size`);
  return { counts: counts.subarray(0, symbol), accuracyLog, bytes: (bitPos + 7) >>> 3 };
}

/** Builds the decoding table for normalized counts (RFC 8878 §4.1.1, "FSE table construction"). */
export function buildFseTable(counts: ArrayLike<number>, accuracyLog: number): FseTable {
  const size = 1 << accuracyLog;
  const symbol = new Uint8Array(size);
  const nbBits = new Uint8Array(size);
  const baseline = new Uint16Array(size);
  const next = new Uint16Array(counts.length);
  let high = size - 1;
  // "Less than one" symbols take one state each at the top of the table.
  for (let s = 0; s < counts.length; s++) {
    if (counts[s] === -1) {
      symbol[high--] = s;
      next[s] = 1;
    } else {
      next[s] = counts[s]!;
    }
  }
  const step = (size >>> 1) + (size >>> 3) + 3;
  const mask = size - 1;
  let pos = 0;
  for (let s = 0; s < counts.length; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      symbol[pos] = s;
      do pos = (pos + step) & mask;
      while (pos > high);
    }
  }
  if (pos !== 0) corrupt('FSE table description does not fill the table');
  for (let u = 0; u < size; u++) {
    const s = symbol[u]!;
    const state = next[s]++;
    const bits = accuracyLog - highBit(state);
    nbBits[u] = bits;
    baseline[u] = (state << bits) - size;
  }
  return { accuracyLog, symbol, nbBits, baseline };
}

/** The table for RLE mode: one state, always the same symbol, no bits. */
export function rleFseTable(s: number): FseTable {
  return {
    accuracyLog: 0,
    symbol: Uint8Array.of(s),
    nbBits: Uint8Array.of(0),
    baseline: Uint16Array.of(0),
  };
}

/**
 * Encoding side of a decoding table. The decoder, in state u, emits symbol[u] and reads
 * nbBits[u] bits b to reach baseline[u] + b; the states holding one symbol cover every
 * next state exactly once, so `stateFor[s * size + next]` is the unique u that leads there.
 */
export class FseEncoder {
  readonly stateFor: Uint16Array;
  readonly size: number;

  constructor(readonly table: FseTable) {
    this.size = 1 << table.accuracyLog;
    const symbols = Math.max(...table.symbol) + 1;
    this.stateFor = new Uint16Array(symbols * this.size);
    for (let u = 0; u < this.size; u++) {
      const s = table.symbol[u]!;
      const from = table.baseline[u]!;
      const to = from + (1 << table.nbBits[u]!);
      for (let x = from; x < to; x++) this.stateFor[s * this.size + x] = u;
    }
  }

  /** Some state emitting s: where encoding (backwards) starts. */
  initialState(s: number): number {
    return this.stateFor[s * this.size]!;
  }
}

/** Writes a bit stream to be read backwards by BackwardBitReader. */
export class BitWriter {
  private acc = 0;
  private bits = 0;

  constructor(
    private readonly out: Uint8Array,
    public pos: number,
  ) {}

  /** Appends the low n ≤ 24 bits of value. */
  write(value: number, n: number): void {
    this.acc |= value << this.bits;
    this.bits += n;
    while (this.bits >= 8) {
      this.out[this.pos++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.bits -= 8;
    }
  }

  writeLong(value: number, n: number): void {
    if (n <= 24) {
      this.write(value, n);
      return;
    }
    this.write(value % 0x1000000, 24);
    this.write(Math.floor(value / 0x1000000), n - 24);
  }

  /** Adds the end marker and pads to a byte; returns the position after the stream. */
  finish(): number {
    this.write(1, 1);
    if (this.bits > 0) this.write(0, 8 - this.bits);
    return this.pos;
  }
}

/**
 * Scales symbol counts to a distribution summing to 2^accuracyLog, every present symbol
 * keeping at least 1 (the compressor never uses the "less than one" count -1).
 */
export function normalizeCounts(
  counts: Uint32Array,
  total: number,
  maxLog: number,
): { norm: Int16Array; accuracyLog: number } {
  let present = 0;
  for (const c of counts) if (c > 0) present++;
  // Enough states to tell the symbols apart, few enough for a small description.
  const accuracyLog = Math.min(maxLog, Math.max(5, highBit(total) - 1, highBit(present) + 1));
  const size = 1 << accuracyLog;
  const norm = new Int16Array(counts.length);
  let sum = 0;
  for (let s = 0; s < counts.length; s++) {
    if (counts[s] === 0) continue;
    norm[s] = Math.max(1, Math.round((counts[s]! * size) / total));
    sum += norm[s]!;
  }
  // Rounding leaves the sum a little off; the most frequent symbols absorb it.
  while (sum !== size) {
    let largest = 0;
    for (let s = 1; s < norm.length; s++) if (norm[s]! > norm[largest]!) largest = s;
    const change = sum < size ? size - sum : -Math.min(sum - size, norm[largest]! - 1);
    norm[largest]! += change;
    sum += change;
    if (change === 0) break; // cannot happen: size ≥ 2 × present symbols
  }
  return { norm, accuracyLog };
}

/** Writes an FSE table description that readNormalizedCounts reads back; returns its end. */
export function writeNormalizedCounts(
  norm: Int16Array,
  accuracyLog: number,
  out: Uint8Array,
  at: number,
): number {
  let p = at;
  let acc = 0;
  let bits = 0;
  const put = (value: number, n: number): void => {
    acc |= value << bits;
    bits += n;
    while (bits >= 8) {
      out[p++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  };
  put(accuracyLog - 5, 4);
  let remaining = (1 << accuracyLog) + 1;
  let threshold = 1 << accuracyLog;
  let nbBits = accuracyLog + 1;
  let s = 0;
  while (remaining > 1) {
    const count = norm[s]!;
    // Coded as count + 1; small values take one bit less (see readNormalizedCounts).
    const value = count + 1;
    const max = 2 * threshold - 1 - remaining;
    if (value < max) put(value, nbBits - 1);
    else put(value >= threshold ? value + max : value, nbBits);
    remaining -= Math.abs(count);
    s++;
    if (count === 0) {
      let zeros = 0;
      while (norm[s + zeros] === 0) zeros++;
      s += zeros;
      for (; zeros >= 3; zeros -= 3) put(3, 2);
      put(zeros, 2);
    }
    while (remaining < threshold) {
      nbBits--;
      threshold >>= 1;
    }
  }
  if (bits > 0) put(0, 8 - bits);
  return p;
}
