// ZSTD compressor: LZ77 with a hash table and one step of lazy matching (matches taken when
// their estimated bits beat the literals', the last offset tried first), literals
// Huffman-coded (or raw/RLE when that is smaller), sequences coded with FSE tables fitted to
// each block, RLE or the predefined ones, whichever is cheapest. On batches of sensor JSON
// that is about `zstd -1`'s ratio. Frames are single-segment with the content size and an
// XXH64 content checksum; a block that does not shrink is stored raw, one byte repeated
// becomes an RLE block. Not used: repeat-mode tables, treeless literals, repeat offsets 2, 3.
import {
  BitWriter,
  FseEncoder,
  buildFseTable,
  highBit,
  normalizeCounts,
  rleFseTable,
  writeNormalizedCounts,
  type FseTable,
} from './fse.ts';
import { buildHuffmanCode, writeHuffmanStream, writeHuffmanTree } from './huffman.ts';
import { xxhash64 } from './xxhash64.ts';
import {
  LITERAL_LENGTHS,
  LL_BASE,
  LL_BITS,
  MATCH_LENGTHS,
  ML_BASE,
  ML_BITS,
  OFFSETS,
  literalLengthCode,
  matchLengthCode,
  type SequenceField,
} from './zstd-codes.ts';
import { BLOCK_MAX, ZSTD_MAGIC } from './zstd-decode.ts';

const MIN_MATCH = 4;
const MAX_HASH_BITS = 16;
// The predefined offset distribution codes offsets below 2^29 (codes 0..28).
const MAX_OFFSET = 2 ** 28;
// Estimated bits of one Huffman-coded literal and of a sequence's codes (see bestMatch).
const LITERAL_BITS = 5;
const SEQUENCE_BITS = 20;

const LL_ENCODER = new FseEncoder(LITERAL_LENGTHS.predefined);
const ML_ENCODER = new FseEncoder(MATCH_LENGTHS.predefined);
const OF_ENCODER = new FseEncoder(OFFSETS.predefined);

/** The sequences and literals found in one block. */
class BlockSequences {
  count = 0;
  readonly literalLength: Uint32Array;
  readonly matchLength: Uint32Array;
  /** As coded: 1 = repeat the last offset, else offset + 3. */
  readonly offsetValue: Uint32Array;
  readonly literals: Uint8Array;
  literalCount = 0;

  /** Sized for blocks of up to `blockSize` bytes (small inputs allocate little). */
  constructor(blockSize: number) {
    const most = Math.floor(blockSize / MIN_MATCH) + 1;
    this.literalLength = new Uint32Array(most);
    this.matchLength = new Uint32Array(most);
    this.offsetValue = new Uint32Array(most);
    this.literals = new Uint8Array(blockSize);
  }
}

/** Little-endian 32 bits at `at` (as a signed int: only compared, never added). */
function read32(src: Uint8Array, at: number): number {
  // Faster than Buffer.readUInt32LE, which checks bounds and types on every call.
  return src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24);
}

function copyLiterals(src: Uint8Array, from: number, to: number, seqs: BlockSequences): void {
  const lit = seqs.literals;
  let at = seqs.literalCount;
  // Most runs are a few bytes: a loop beats creating a subarray for set().
  if (to - from < 32) for (let i = from; i < to; i++) lit[at++] = src[i]!;
  else {
    lit.set(src.subarray(from, to), at);
    at += to - from;
  }
  seqs.literalCount = at;
}

/** Match finder state that lives across the blocks of a frame (matches reach back). */
class MatchFinder {
  private readonly table: Int32Array;
  private readonly shift: number;
  private rep0 = 1;
  /** Where bestMatch's match starts. */
  private ref = 0;

  constructor(private readonly src: Buffer) {
    // A table about as large as the input, up to 2^16 entries.
    const bits = Math.min(MAX_HASH_BITS, Math.max(8, 32 - Math.clz32(src.length)));
    this.table = new Int32Array(1 << bits).fill(-1);
    this.shift = 32 - bits;
  }

  private hash(at: number): number {
    return Math.imul(read32(this.src, at), 2654435761) >>> this.shift;
  }

  private matchLength(ip: number, ref: number, end: number): number {
    const src = this.src;
    let len = 0;
    while (ip + len < end && src[ref + len] === src[ip + len]) len++;
    return len;
  }

  /**
   * The most profitable match at ip (its start in `this.ref`, its length returned), or 0.
   * Profit is estimated in bits: a literal costs LITERAL_BITS once Huffman-coded, a
   * sequence SEQUENCE_BITS plus the offset's extra bits (none for the repeated offset). So
   * a match 10 KiB back must be 7 bytes long to pay, a repeated offset 5.
   */
  private bestMatch(ip: number, anchor: number, end: number): number {
    const src = this.src;
    const seq = read32(src, ip);
    let bestLength = 0;
    let bestGain = 0;
    const repAt = ip - this.rep0;
    if (ip > anchor && repAt >= 0 && read32(src, repAt) === seq) {
      bestLength = this.matchLength(ip, repAt, end);
      bestGain = bestLength * LITERAL_BITS - SEQUENCE_BITS;
      this.ref = repAt;
    }
    const h = this.hash(ip);
    const candidate = this.table[h]!;
    this.table[h] = ip;
    if (candidate >= 0 && ip - candidate < MAX_OFFSET && read32(src, candidate) === seq) {
      const len = this.matchLength(ip, candidate, end);
      const offsetBits = 31 - Math.clz32(ip - candidate + 3);
      const gain = len * LITERAL_BITS - SEQUENCE_BITS - offsetBits;
      if (gain > bestGain) {
        bestGain = gain;
        bestLength = len;
        this.ref = candidate;
      }
    }
    return bestGain > 0 ? bestLength : 0;
  }

  /** Parses src[start, end) into sequences; the bytes after the last match stay literals. */
  parse(start: number, end: number, seqs: BlockSequences): void {
    const src = this.src;
    seqs.count = 0;
    seqs.literalCount = 0;
    let anchor = start;
    let ip = start;
    const limit = end - MIN_MATCH;
    let misses = 0;
    while (ip <= limit) {
      let len = this.bestMatch(ip, anchor, end);
      if (len === 0) {
        // Skip faster through data that does not match (random bytes stay cheap).
        ip += 1 + (misses++ >>> 6);
        continue;
      }
      misses = 0;
      let ref = this.ref;
      // Lazy step: a longer match one byte later is worth a literal.
      if (ip + 1 <= limit) {
        const later = this.bestMatch(ip + 1, anchor, end);
        if (later > len + 1) {
          ip++;
          len = later;
          ref = this.ref;
        }
      }
      while (ip > anchor && ref > 0 && src[ip - 1] === src[ref - 1]) {
        ip--;
        ref--;
        len++;
      }
      const offset = ip - ref;
      const literalLength = ip - anchor;
      const n = seqs.count++;
      seqs.literalLength[n] = literalLength;
      seqs.matchLength[n] = len;
      // Code 1 means "last offset" only after at least one literal; otherwise spell it out.
      seqs.offsetValue[n] = offset === this.rep0 && literalLength > 0 ? 1 : offset + 3;
      this.rep0 = offset;
      copyLiterals(src, anchor, ip, seqs);
      // Index a couple of positions inside the match so the next records find it.
      const next = ip + len;
      if (next - 2 > ip && next - 2 <= limit) this.table[this.hash(next - 2)] = next - 2;
      ip = next;
      anchor = ip;
    }
    copyLiterals(src, anchor, end, seqs);
  }

  /** Keeps the decoder's view of repeat offsets after a block stored raw or as RLE. */
  restoreLastOffset(rep0: number): void {
    this.rep0 = rep0;
  }

  get lastOffset(): number {
    return this.rep0;
  }
}

/** Header of a raw (type 0) or RLE (type 1) literals section, with a 5, 12 or 20-bit size. */
function writeLiteralsHeader(out: Uint8Array, at: number, type: number, size: number): number {
  if (size < 32) {
    out[at] = type | (size << 3);
    return at + 1;
  }
  if (size < 4096) {
    out[at] = type | (1 << 2) | ((size & 15) << 4);
    out[at + 1] = size >>> 4;
    return at + 2;
  }
  out[at] = type | (3 << 2) | ((size & 15) << 4);
  out[at + 1] = (size >>> 4) & 0xff;
  out[at + 2] = size >>> 12;
  return at + 3;
}

function writeRawLiterals(out: Uint8Array, at: number, lit: Uint8Array, n: number): number {
  const p = writeLiteralsHeader(out, at, 0, n);
  out.set(lit.subarray(0, n), p);
  return p + n;
}

/**
 * Literals section: Huffman-coded (one stream below 256 literals, else four) when that is
 * smaller, one repeated byte as RLE, otherwise raw.
 */
function writeLiterals(out: Uint8Array, at: number, lit: Uint8Array, n: number): number {
  // Below this the tree description costs about what Huffman coding saves.
  if (n < 64) return writeRawLiterals(out, at, lit, n);
  const counts = new Uint32Array(256);
  for (let i = 0; i < n; i++) counts[lit[i]!]!++;
  if (counts[lit[0]!] === n) {
    const p = writeLiteralsHeader(out, at, 1, n);
    out[p] = lit[0]!;
    return p + 1;
  }
  const code = buildHuffmanCode(counts);
  const fourStreams = n >= 256;
  // Size formats: 10-bit sizes in 3 header bytes, 14 bits in 4, 18 bits in 5.
  const sizeFormat = n < 1024 ? (fourStreams ? 1 : 0) : n < 16384 ? 2 : 3;
  const headerBytes = sizeFormat < 2 ? 3 : sizeFormat + 2;
  const sizeBits = sizeFormat < 2 ? 10 : sizeFormat === 2 ? 14 : 18;
  const body = at + headerBytes;
  let p = writeHuffmanTree(code, out, body);
  if (p < 0) return writeRawLiterals(out, at, lit, n);
  if (!fourStreams) {
    p = writeHuffmanStream(code, lit, 0, n, out, p);
  } else {
    const jump = p;
    p += 6;
    const segment = Math.floor((n + 3) / 4);
    for (let k = 0; k < 4; k++) {
      const from = p;
      p = writeHuffmanStream(code, lit, k * segment, Math.min(n, (k + 1) * segment), out, p);
      if (k < 3) {
        if (p - from > 0xffff) return writeRawLiterals(out, at, lit, n);
        out[jump + 2 * k] = (p - from) & 0xff;
        out[jump + 2 * k + 1] = (p - from) >>> 8;
      }
    }
  }
  const compressed = p - body;
  if (compressed >= n || compressed >= 2 ** sizeBits) return writeRawLiterals(out, at, lit, n);
  // Type 2, size format, then both sizes, little-endian across the header bytes.
  let header = 2 + sizeFormat * 4 + n * 16 + compressed * 2 ** (4 + sizeBits);
  for (let i = 0; i < headerBytes; i++) {
    out[at + i] = header % 256;
    header = Math.floor(header / 256);
  }
  return p;
}

/** States per symbol in a table: the symbol's probability is that over the table size. */
function statesPerSymbol(table: FseTable, symbols: number): Uint32Array {
  const states = new Uint32Array(symbols);
  for (const sym of table.symbol) states[sym]!++;
  return states;
}

const PREDEFINED_STATES = new Map(
  [LITERAL_LENGTHS, OFFSETS, MATCH_LENGTHS].map((f) => [
    f,
    statesPerSymbol(f.predefined, f.maxSymbol + 1),
  ]),
);

/** Estimated bits to code `counts` with a table whose symbols have `states` of 2^log. */
function codingBits(counts: Uint32Array, states: ArrayLike<number>, log: number): number {
  let bits = 0;
  for (let s = 0; s < counts.length; s++) {
    const c = counts[s]!;
    if (c === 0) continue;
    if (states[s]! <= 0) return Infinity;
    bits += c * (log - Math.log2(states[s]!));
  }
  return bits;
}

/**
 * Picks how one field's codes are coded: RLE when they are all one code, a table of their
 * own (written into out at `at`) when it saves more than its description costs, else the
 * predefined table.
 */
function chooseTable(
  codes: Uint8Array,
  field: SequenceField,
  predefined: FseEncoder,
  out: Uint8Array,
  at: number,
): { mode: number; encoder: FseEncoder; end: number } {
  const counts = new Uint32Array(field.maxSymbol + 1);
  for (const c of codes) counts[c]!++;
  if (codes.length > 1 && counts[codes[0]!] === codes.length) {
    out[at] = codes[0]!;
    return { mode: 1, encoder: new FseEncoder(rleFseTable(codes[0]!)), end: at + 1 };
  }
  const predefinedBits = codingBits(
    counts,
    PREDEFINED_STATES.get(field)!,
    field.predefined.accuracyLog,
  );
  // Below a few dozen sequences a description rarely pays for itself.
  if (codes.length >= 32) {
    const { norm, accuracyLog } = normalizeCounts(counts, codes.length, field.maxLog);
    const end = writeNormalizedCounts(norm, accuracyLog, out, at);
    if (codingBits(counts, norm, accuracyLog) + 8 * (end - at) < predefinedBits) {
      return { mode: 2, encoder: new FseEncoder(buildFseTable(norm, accuracyLog)), end };
    }
  }
  return { mode: 0, encoder: predefined, end: at };
}

function writeSequences(out: Uint8Array, at: number, seqs: BlockSequences): number {
  const n = seqs.count;
  let p = at;
  if (n < 128) {
    out[p++] = n;
  } else if (n < 0x7f00) {
    out[p++] = (n >>> 8) + 128;
    out[p++] = n & 0xff;
  } else {
    out[p++] = 255;
    out[p++] = (n - 0x7f00) & 0xff;
    out[p++] = (n - 0x7f00) >>> 8;
  }
  if (n === 0) return p;
  const llCodes = new Uint8Array(n);
  const mlCodes = new Uint8Array(n);
  const ofCodes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    llCodes[i] = literalLengthCode(seqs.literalLength[i]!);
    mlCodes[i] = matchLengthCode(seqs.matchLength[i]!);
    ofCodes[i] = highBit(seqs.offsetValue[i]!);
  }
  const modes = p++;
  // Table descriptions follow the modes byte in the order literal lengths, offsets, match lengths.
  const llTable = chooseTable(llCodes, LITERAL_LENGTHS, LL_ENCODER, out, p);
  const ofTable = chooseTable(ofCodes, OFFSETS, OF_ENCODER, out, llTable.end);
  const mlTable = chooseTable(mlCodes, MATCH_LENGTHS, ML_ENCODER, out, ofTable.end);
  out[modes] = (llTable.mode << 6) | (ofTable.mode << 4) | (mlTable.mode << 2);
  p = mlTable.end;
  const LL = llTable.encoder;
  const OF = ofTable.encoder;
  const ML = mlTable.encoder;
  // The decoder reads backwards, so everything is written in reverse: the last sequence's
  // extra bits first, each state transition before the sequence it leaves, the initial
  // states last.
  const w = new BitWriter(out, p);
  // Imported bindings read through getters once compiled by tsx; locals keep the loop fast.
  const [llBase, llBits, mlBase, mlBits] = [LL_BASE, LL_BITS, ML_BASE, ML_BITS];
  const extras = (i: number): void => {
    w.write(seqs.literalLength[i]! - llBase[llCodes[i]!]!, llBits[llCodes[i]!]!);
    w.write(seqs.matchLength[i]! - mlBase[mlCodes[i]!]!, mlBits[mlCodes[i]!]!);
    w.writeLong(seqs.offsetValue[i]! - 2 ** ofCodes[i]!, ofCodes[i]!);
  };
  const step = (enc: FseEncoder, symbol: number, state: number): number => {
    const u = enc.stateFor[symbol * enc.size + state]!;
    w.write(state - enc.table.baseline[u]!, enc.table.nbBits[u]!);
    return u;
  };
  let ll = LL.initialState(llCodes[n - 1]!);
  let ml = ML.initialState(mlCodes[n - 1]!);
  let of = OF.initialState(ofCodes[n - 1]!);
  extras(n - 1);
  for (let i = n - 2; i >= 0; i--) {
    of = step(OF, ofCodes[i]!, of);
    ml = step(ML, mlCodes[i]!, ml);
    ll = step(LL, llCodes[i]!, ll);
    extras(i);
  }
  w.write(ml, ML.table.accuracyLog);
  w.write(of, OF.table.accuracyLog);
  w.write(ll, LL.table.accuracyLog);
  return w.finish();
}

/** Compressed block body (literals + sequences) into out at `at`; returns its end. */
function writeCompressedBlock(out: Uint8Array, at: number, seqs: BlockSequences): number {
  const p = writeLiterals(out, at, seqs.literals, seqs.literalCount);
  return writeSequences(out, p, seqs);
}

function isOneByte(src: Buffer, start: number, end: number): boolean {
  const b = src[start];
  for (let i = start + 1; i < end; i++) if (src[i] !== b) return false;
  return true;
}

/** Compresses src into one ZSTD frame. */
export function zstdCompress(src: Buffer): Buffer {
  const n = src.length;
  const blocks = Math.max(1, Math.ceil(n / BLOCK_MAX));
  // Every block is at most its raw size plus a 3-byte header.
  const out = Buffer.allocUnsafe(18 + n + 3 * blocks);
  out.writeUInt32LE(ZSTD_MAGIC, 0);
  let p = 5;
  // Single segment (window = content), content size always present, checksum on.
  if (n < 256) {
    out[4] = 0x24;
    out[p++] = n;
  } else if (n < 65536 + 256) {
    out[4] = 0x64;
    out.writeUInt16LE(n - 256, p);
    p += 2;
  } else if (n < 2 ** 32) {
    out[4] = 0xa4;
    out.writeUInt32LE(n, p);
    p += 4;
  } else {
    out[4] = 0xe4;
    out.writeUInt32LE(n % 2 ** 32, p);
    out.writeUInt32LE(Math.floor(n / 2 ** 32), p + 4);
    p += 8;
  }
  const finder = new MatchFinder(src);
  const blockSize = Math.min(n, BLOCK_MAX);
  const seqs = new BlockSequences(blockSize);
  // A block's sequences can take more bits than their bytes (short matches, far offsets);
  // at most 77 bits for 4 bytes, so 3 × the block always fits.
  const scratch = new Uint8Array(3 * blockSize + 64);
  for (let start = 0, b = 0; b < blocks; b++, start += BLOCK_MAX) {
    const end = Math.min(n, start + BLOCK_MAX);
    const size = end - start;
    const last = b === blocks - 1 ? 1 : 0;
    if (size > 1 && isOneByte(src, start, end)) {
      out.writeUIntLE(last | (1 << 1) | (size << 3), p, 3);
      out[p + 3] = src[start]!;
      p += 4;
      continue;
    }
    const rep0 = finder.lastOffset;
    finder.parse(start, end, seqs);
    // Keep the compressed form only when it is smaller than the raw block.
    const bodyEnd = writeCompressedBlock(scratch, 0, seqs);
    if (bodyEnd < size) {
      out.writeUIntLE(last | (2 << 1) | (bodyEnd << 3), p, 3);
      out.set(scratch.subarray(0, bodyEnd), p + 3);
      p += 3 + bodyEnd;
    } else {
      finder.restoreLastOffset(rep0);
      out.writeUIntLE(last | (size << 3), p, 3);
      src.copy(out, p + 3, start, end);
      p += 3 + size;
    }
  }
  out.writeUInt32LE(xxhash64(src)[1], p);
  return out.subarray(0, p + 4);
}
