// ZSTD's Huffman coding of literals (RFC 8878 §4.2): the tree description (weights, direct
// or FSE-compressed) and decoding of one backward bit stream.
import {
  BackwardBitReader,
  BitWriter,
  FseEncoder,
  buildFseTable,
  corrupt,
  highBit,
  normalizeCounts,
  readNormalizedCounts,
  writeNormalizedCounts,
} from './fse.ts';

export const HUFFMAN_MAX_BITS = 11;

/** Lookup by the next `maxBits` bits of the stream: the symbol and its code length. */
export interface HuffmanTable {
  readonly maxBits: number;
  readonly symbol: Uint8Array;
  readonly length: Uint8Array;
}

/** Reads the weights of the first up-to-255 symbols; the last symbol's weight is implied. */
function readWeights(src: Uint8Array, start: number, end: number): [Uint8Array, number] {
  if (start >= end) corrupt('missing Huffman tree description');
  const header = src[start]!;
  const weights = new Uint8Array(256);
  if (header >= 128) {
    // Direct representation: 4 bits a weight, first weight in the high nibble.
    const n = header - 127;
    const bytes = (n + 1) >>> 1;
    if (start + 1 + bytes > end) corrupt('truncated Huffman weights');
    for (let i = 0; i < n; i++) {
      const b = src[start + 1 + (i >>> 1)]!;
      weights[i] = i & 1 ? b & 15 : b >>> 4;
    }
    return [weights.subarray(0, n), 1 + bytes];
  }
  const last = start + 1 + header;
  if (last > end) corrupt('truncated FSE-compressed Huffman weights');
  const desc = readNormalizedCounts(src, start + 1, last, 255, 6, 'Huffman weights');
  const table = buildFseTable(desc.counts, desc.accuracyLog);
  const { symbol, nbBits, baseline } = table;
  const r = new BackwardBitReader(src, start + 1 + desc.bytes, last, 'Huffman weights');
  // Two interleaved states share one stream; it ends when a state update would read past
  // the stream's start, after which the other state still holds one weight.
  let s1 = r.read(desc.accuracyLog);
  let s2 = r.read(desc.accuracyLog);
  let n = 0;
  for (;;) {
    if (n > 253) corrupt('too many Huffman weights');
    weights[n++] = symbol[s1]!;
    s1 = baseline[s1]! + r.read(nbBits[s1]!);
    if (r.pos < 0) {
      weights[n++] = symbol[s2]!;
      break;
    }
    weights[n++] = symbol[s2]!;
    s2 = baseline[s2]! + r.read(nbBits[s2]!);
    if (r.pos < 0) {
      weights[n++] = symbol[s1]!;
      break;
    }
  }
  if (n > 255) corrupt('too many Huffman weights');
  return [weights.subarray(0, n), 1 + header];
}

/** Builds the decoding table from weights (complete with the implied last weight). */
export function huffmanTableFromWeights(given: Uint8Array): HuffmanTable {
  let total = 0;
  for (const w of given) {
    if (w > HUFFMAN_MAX_BITS) corrupt(`Huffman weight ${w} above ${HUFFMAN_MAX_BITS}`);
    if (w > 0) total += 1 << (w - 1);
  }
  if (total === 0) corrupt('Huffman weights are all zero');
  const maxBits = highBit(total) + 1;
  if (maxBits > HUFFMAN_MAX_BITS) corrupt(`Huffman codes longer than ${HUFFMAN_MAX_BITS} bits`);
  const rest = (1 << maxBits) - total;
  if ((rest & (rest - 1)) !== 0) corrupt('Huffman weights do not form a complete code');
  const weights = new Uint8Array(given.length + 1);
  weights.set(given);
  weights[given.length] = highBit(rest) + 1;
  // Codes go to symbols by ascending weight, then ascending symbol value: each weight's
  // symbols fill a range of table slots starting after all lighter ones.
  const next = new Uint32Array(HUFFMAN_MAX_BITS + 2);
  for (const w of weights) if (w > 0) next[w + 1]! += 1 << (w - 1);
  for (let w = 1; w <= HUFFMAN_MAX_BITS + 1; w++) next[w]! += next[w - 1]!;
  const size = 1 << maxBits;
  const symbol = new Uint8Array(size);
  const length = new Uint8Array(size);
  for (let s = 0; s < weights.length; s++) {
    const w = weights[s]!;
    if (w === 0) continue;
    const from = next[w]!;
    const to = from + (1 << (w - 1));
    symbol.fill(s, from, to);
    length.fill(maxBits + 1 - w, from, to);
    next[w] = to;
  }
  return { maxBits, symbol, length };
}

/** Reads a Huffman tree description; returns the table and the bytes it took. */
export function readHuffmanTable(
  src: Uint8Array,
  start: number,
  end: number,
): [HuffmanTable, number] {
  const [weights, bytes] = readWeights(src, start, end);
  return [huffmanTableFromWeights(weights), bytes];
}

/** Decodes exactly `count` literals from one stream src[start, end) into out at `at`. */
export function decodeHuffmanStream(
  table: HuffmanTable,
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
  count: number,
): void {
  const r = new BackwardBitReader(src, start, end, 'Huffman literals');
  const { maxBits, symbol, length } = table;
  const mask = (1 << maxBits) - 1;
  const stop = at + count;
  let o = at;
  let pos = r.pos;
  // Two literals per 32-bit read: the next 2 × maxBits ≤ 22 bits hold both codes.
  while (o + 1 < stop && pos >= 2 * maxBits) {
    const base = pos - 2 * maxBits;
    const i = start + (base >>> 3);
    const word =
      (src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24)) >>> (base & 7);
    const first = (word >>> maxBits) & mask;
    const used = length[first]!;
    out[o++] = symbol[first]!;
    const second = (word >>> (maxBits - used)) & mask;
    out[o++] = symbol[second]!;
    pos -= used + length[second]!;
  }
  r.pos = pos;
  for (; o < stop; o++) {
    const v = r.peek(maxBits);
    out[o] = symbol[v]!;
    r.pos -= length[v]!;
  }
  if (r.pos !== 0) corrupt('a Huffman stream does not end with its last literal');
}

/** A Huffman code for the compressor: per symbol its length and code bits. */
export interface HuffmanCode {
  readonly maxBits: number;
  readonly length: Uint8Array;
  readonly code: Uint16Array;
  /** Highest symbol with a code; its weight is left implied in the description. */
  readonly lastSymbol: number;
}

/** Huffman code lengths for the counts (≥ 2 symbols present), none longer than 11 bits. */
function codeLengths(counts: Uint32Array): Uint8Array {
  const present: number[] = [];
  for (let s = 0; s < counts.length; s++) if (counts[s]! > 0) present.push(s);
  const m = present.length;
  const weight = present.map((s) => counts[s]!);
  const lengths = new Uint8Array(counts.length);
  for (;;) {
    // Two-queue Huffman: leaves sorted by weight, merged nodes come out in weight order.
    const order = present.map((_, i) => i).sort((a, b) => weight[a]! - weight[b]!);
    const nodeWeight = new Float64Array(2 * m - 1);
    const parent = new Int32Array(2 * m - 1);
    order.forEach((leaf, k) => (nodeWeight[k] = weight[leaf]!));
    let leafAt = 0;
    let mergedAt = m;
    const smallest = (next: number): number =>
      leafAt < m && (mergedAt >= next || nodeWeight[leafAt]! <= nodeWeight[mergedAt]!)
        ? leafAt++
        : mergedAt++;
    for (let next = m; next < 2 * m - 1; next++) {
      const a = smallest(next);
      const b = smallest(next);
      nodeWeight[next] = nodeWeight[a]! + nodeWeight[b]!;
      parent[a] = next;
      parent[b] = next;
    }
    const depth = new Uint8Array(2 * m - 1);
    let deepest = 0;
    for (let k = 2 * m - 3; k >= 0; k--) {
      depth[k] = depth[parent[k]!]! + 1;
      if (k < m) deepest = Math.max(deepest, depth[k]!);
    }
    if (deepest <= HUFFMAN_MAX_BITS) {
      order.forEach((leaf, k) => (lengths[present[leaf]!] = depth[k]!));
      return lengths;
    }
    // Too deep: flatten the distribution and build again (a few rounds at most).
    for (let i = 0; i < m; i++) weight[i] = (weight[i]! >>> 1) | 1;
  }
}

/** Builds the canonical code the decoder derives from the same weights. */
export function buildHuffmanCode(counts: Uint32Array): HuffmanCode {
  const length = codeLengths(counts);
  let maxBits = 0;
  let lastSymbol = 0;
  for (let s = 0; s < length.length; s++) {
    if (length[s]! > 0) {
      maxBits = Math.max(maxBits, length[s]!);
      lastSymbol = s;
    }
  }
  // Same slot assignment as huffmanTableFromWeights; a code is its first slot's top bits.
  const next = new Uint32Array(HUFFMAN_MAX_BITS + 2);
  for (const len of length) if (len > 0) next[maxBits + 2 - len]! += 1 << (maxBits - len);
  for (let w = 1; w <= HUFFMAN_MAX_BITS + 1; w++) next[w]! += next[w - 1]!;
  const code = new Uint16Array(length.length);
  for (let s = 0; s < length.length; s++) {
    const len = length[s]!;
    if (len === 0) continue;
    const w = maxBits + 1 - len;
    code[s] = next[w]! >>> (w - 1);
    next[w]! += 1 << (w - 1);
  }
  return { maxBits, length, code, lastSymbol };
}

/**
 * Weights as FSE symbols (RFC 8878 §4.2.1.2): a table description, then one backward
 * stream shared by two interleaved states. Returns the end, or -1 when it does not fit the
 * form (a header byte below 128, a last update that reads at least one bit).
 */
function writeFseWeights(weights: Uint8Array, out: Uint8Array, at: number): number {
  const n = weights.length;
  const counts = new Uint32Array(HUFFMAN_MAX_BITS + 1);
  for (const w of weights) counts[w]!++;
  const { norm, accuracyLog } = normalizeCounts(counts, n, 6);
  const table = buildFseTable(norm, accuracyLog);
  const enc = new FseEncoder(table);
  const w = new BitWriter(out, writeNormalizedCounts(norm, accuracyLog, out, at + 1));
  // The decoder stops when updating the state that gave the second-to-last weight reads
  // past the stream's start: that state must read at least one bit.
  let beforeLast = -1;
  for (let u = 0; u < enc.size && beforeLast < 0; u++) {
    if (table.symbol[u] === weights[n - 2] && table.nbBits[u]! > 0) beforeLast = u;
  }
  if (beforeLast < 0) return -1;
  // Even weights come from the first state, odd ones from the second; encode backwards.
  const state = [0, 0];
  state[(n - 1) & 1] = enc.initialState(weights[n - 1]!);
  state[(n - 2) & 1] = beforeLast;
  for (let i = n - 3; i >= 0; i--) {
    const next = state[i & 1]!;
    const u = enc.stateFor[weights[i]! * enc.size + next]!;
    w.write(next - table.baseline[u]!, table.nbBits[u]!);
    state[i & 1] = u;
  }
  w.write(state[1]!, accuracyLog);
  w.write(state[0]!, accuracyLog);
  const end = w.finish();
  if (end - at - 1 >= 128) return -1;
  out[at] = end - at - 1;
  return end;
}

/**
 * Writes the tree description: FSE-compressed weights or 4-bit direct ones (possible up
 * to 128 weights), whichever is shorter; returns the end, or -1 when neither form fits.
 */
export function writeHuffmanTree(code: HuffmanCode, out: Uint8Array, at: number): number {
  const n = code.lastSymbol; // weights of symbols 0..n-1; the last one is implied
  const weights = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    if (code.length[s]! > 0) weights[s] = code.maxBits + 1 - code.length[s]!;
  }
  const directEnd = n <= 128 ? at + 1 + ((n + 1) >>> 1) : Infinity;
  const fseEnd = n >= 2 ? writeFseWeights(weights, out, at) : -1;
  if (fseEnd >= 0 && fseEnd <= directEnd) return fseEnd;
  if (directEnd === Infinity) return -1;
  out[at] = 127 + n;
  for (let i = 0; i < n; i += 2)
    out[at + 1 + (i >>> 1)] = (weights[i]! << 4) | (weights[i + 1] ?? 0);
  return directEnd;
}

/** Encodes src[start, end) as one stream; returns the end of what it wrote. */
export function writeHuffmanStream(
  code: HuffmanCode,
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
): number {
  const { length, code: bits } = code;
  // A local accumulator flushed 16 bits at a time (codes are ≤ 11 bits, so it stays below
  // 27 bits); read backwards, so the last literal goes in first.
  let acc = 0;
  let filled = 0;
  let p = at;
  for (let i = end - 1; i >= start; i--) {
    const s = src[i]!;
    acc |= bits[s]! << filled;
    filled += length[s]!;
    if (filled >= 16) {
      out[p++] = acc & 0xff;
      out[p++] = (acc >>> 8) & 0xff;
      acc >>>= 16;
      filled -= 16;
    }
  }
  const w = new BitWriter(out, p);
  w.write(acc, filled);
  return w.finish();
}
