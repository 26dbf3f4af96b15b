// ZSTD sequence codes (RFC 8878 §3.1.1.3.2.1): how literal lengths, match lengths and
// offsets map to FSE symbols plus extra bits, and the predefined distributions.
import { buildFseTable, highBit, type FseTable } from './fse.ts';

/** Extra bits of literal length codes 0..35 (RFC 8878 §3.1.1.3.2.1.1). */
export const LL_BITS = new Uint8Array([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
  13, 14, 15, 16,
]);
/** Extra bits of match length codes 0..52. */
export const ML_BITS = new Uint8Array([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
  1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
]);

/** Each code starts where the previous one's extra bits end. */
function baselines(bits: Uint8Array, first: number): Uint32Array {
  const base = new Uint32Array(bits.length);
  base[0] = first;
  for (let i = 1; i < bits.length; i++) base[i] = base[i - 1]! + 2 ** bits[i - 1]!;
  return base;
}

export const LL_BASE = baselines(LL_BITS, 0);
export const ML_BASE = baselines(ML_BITS, 3);

// The predefined distributions ("mode 0"), used when a block does not describe its own.
const LL_DEFAULT = [
  4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
  -1, -1, -1, -1,
];
const ML_DEFAULT = [
  1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
];
const OF_DEFAULT = [
  1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
];

/** One of the three sequence fields as the sequences section codes it. */
export interface SequenceField {
  readonly name: string;
  readonly predefined: FseTable;
  readonly maxSymbol: number;
  /** Largest accuracy log a block's own table may use. */
  readonly maxLog: number;
}

export const LITERAL_LENGTHS: SequenceField = {
  name: 'literal lengths',
  predefined: buildFseTable(LL_DEFAULT, 6),
  maxSymbol: 35,
  maxLog: 9,
};
export const MATCH_LENGTHS: SequenceField = {
  name: 'match lengths',
  predefined: buildFseTable(ML_DEFAULT, 6),
  maxSymbol: 52,
  maxLog: 9,
};
export const OFFSETS: SequenceField = {
  name: 'offsets',
  predefined: buildFseTable(OF_DEFAULT, 5),
  maxSymbol: 31,
  maxLog: 8,
};

/** Lookup of the code for small values, built from the base tables. */
function smallCodes(base: Uint32Array, first: number, count: number): Uint8Array {
  const codes = new Uint8Array(count);
  let code = 0;
  for (let v = 0; v < count; v++) {
    while (code + 1 < base.length && base[code + 1]! <= v + first) code++;
    codes[v] = code;
  }
  return codes;
}

const LL_SMALL = smallCodes(LL_BASE, 0, 64);
const ML_SMALL = smallCodes(ML_BASE, 3, 128);

/** Code of a literal length (0 ≤ ll < 131072). */
export function literalLengthCode(ll: number): number {
  // From 64 on, every code covers one power of two.
  return ll < 64 ? LL_SMALL[ll]! : highBit(ll) + 19;
}

/** Code of a match length (3 ≤ ml < 131075). */
export function matchLengthCode(ml: number): number {
  const v = ml - 3;
  return v < 128 ? ML_SMALL[v]! : highBit(v) + 36;
}
