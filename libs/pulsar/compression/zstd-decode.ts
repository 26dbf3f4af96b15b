// ZSTD frame decompressor (RFC 8878): frames and skippable frames, raw/RLE/compressed
// blocks, literals (raw, RLE, Huffman with or without a new tree, 1 or 4 streams),
// sequences (predefined, RLE, FSE-described and repeated tables), repeat offsets and the
// XXH64 content checksum. Output is bounded by the caller's expected size, and every read
// is checked, so corrupt input ends in CompressionError.
import { constants } from 'node:buffer';
import {
  BackwardBitReader,
  buildFseTable,
  corrupt,
  readNormalizedCounts,
  rleFseTable,
  type FseTable,
} from './fse.ts';
import { decodeHuffmanStream, readHuffmanTable, type HuffmanTable } from './huffman.ts';
import { xxhash64 } from './xxhash64.ts';
import {
  LITERAL_LENGTHS,
  LL_BASE,
  LL_BITS,
  MATCH_LENGTHS,
  ML_BASE,
  ML_BITS,
  OFFSETS,
  type SequenceField,
} from './zstd-codes.ts';
import { CompressionError } from './errors.ts';

export const ZSTD_MAGIC = 0xfd2fb528;
export const BLOCK_MAX = 128 * 1024;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

/** What a frame carries from block to block. */
class FrameState {
  reps = [1, 4, 8];
  ll: FseTable | undefined;
  of: FseTable | undefined;
  ml: FseTable | undefined;
  huffman: HuffmanTable | undefined;
}

class Decoder {
  ip = 0;
  op = 0;
  /** Literals of the current block: either inside src or decoded into `scratch`. */
  private lit: Uint8Array = new Uint8Array(0);
  private litPos = 0;
  private litEnd = 0;
  private scratch: Uint8Array | undefined;

  constructor(
    private readonly src: Uint8Array,
    readonly out: Buffer,
  ) {}

  private need(n: number, what: string): void {
    if (this.ip + n > this.src.length) corrupt(`truncated ${what}`);
  }

  private room(n: number): void {
    if (this.op + n > this.out.length) {
      throw new CompressionError(
        `corrupt ZSTD data: output larger than the expected ${this.out.length} bytes`,
      );
    }
  }

  /** Decodes the frame starting at ip (after checking its magic number). */
  frame(): void {
    const src = this.src;
    this.need(6, 'frame header');
    const descriptor = src[this.ip + 4]!;
    this.ip += 5;
    const fcsFlag = descriptor >>> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    if (descriptor & 0x08) corrupt('reserved bit set in the frame header');
    const hasChecksum = (descriptor & 0x04) !== 0;
    const dictBytes = [0, 1, 2, 4][descriptor & 3]!;
    const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
    let blockMax = BLOCK_MAX;
    this.need((singleSegment ? 0 : 1) + dictBytes + fcsBytes, 'frame header');
    if (!singleSegment) {
      const w = src[this.ip++]!;
      const windowLog = 10 + (w >>> 3);
      const windowSize = 2 ** windowLog + (2 ** windowLog / 8) * (w & 7);
      blockMax = Math.min(BLOCK_MAX, windowSize);
    }
    if (dictBytes > 0) {
      let dictId = 0;
      for (let i = dictBytes - 1; i >= 0; i--) dictId = dictId * 256 + src[this.ip + i]!;
      this.ip += dictBytes;
      if (dictId !== 0) {
        throw new CompressionError(
          `ZSTD frame needs dictionary ${dictId}; dictionaries are not supported (compress without one)`,
        );
      }
    }
    let contentSize = -1;
    if (fcsBytes > 0) {
      contentSize = 0;
      for (let i = fcsBytes - 1; i >= 0; i--) contentSize = contentSize * 256 + src[this.ip + i]!;
      if (fcsBytes === 2) contentSize += 256;
      this.ip += fcsBytes;
      if (contentSize > this.out.length - this.op) {
        throw new CompressionError(
          `corrupt ZSTD data: frame declares ${contentSize} bytes, more than the expected ${this.out.length - this.op}`,
        );
      }
    }
    const frameStart = this.op;
    const state = new FrameState();
    for (let last = false; !last;) {
      this.need(3, 'block header');
      const header = src[this.ip]! | (src[this.ip + 1]! << 8) | (src[this.ip + 2]! << 16);
      this.ip += 3;
      last = (header & 1) === 1;
      const type = (header >>> 1) & 3;
      const size = header >>> 3;
      if (type === 0) {
        if (size > blockMax) corrupt(`raw block of ${size} bytes exceeds ${blockMax}`);
        this.need(size, 'raw block');
        this.room(size);
        this.out.set(src.subarray(this.ip, this.ip + size), this.op);
        this.ip += size;
        this.op += size;
      } else if (type === 1) {
        if (size > blockMax) corrupt(`RLE block of ${size} bytes exceeds ${blockMax}`);
        this.need(1, 'RLE block');
        this.room(size);
        this.out.fill(src[this.ip++]!, this.op, this.op + size);
        this.op += size;
      } else if (type === 2) {
        if (size > blockMax) corrupt(`compressed block of ${size} bytes exceeds ${blockMax}`);
        this.need(size, 'compressed block');
        const blockStart = this.op;
        const blockEnd = this.ip + size;
        this.compressedBlock(blockEnd, frameStart, state);
        if (this.op - blockStart > blockMax)
          corrupt(`block decodes to more than ${blockMax} bytes`);
        this.ip = blockEnd;
      } else {
        corrupt('reserved block type');
      }
    }
    if (contentSize >= 0 && this.op - frameStart !== contentSize) {
      corrupt(`frame decoded to ${this.op - frameStart} bytes, its header says ${contentSize}`);
    }
    if (hasChecksum) {
      this.need(4, 'content checksum');
      const expected =
        (src[this.ip]! |
          (src[this.ip + 1]! << 8) |
          (src[this.ip + 2]! << 16) |
          (src[this.ip + 3]! << 24)) >>>
        0;
      this.ip += 4;
      const actual = xxhash64(this.out, frameStart, this.op)[1];
      if (actual !== expected) corrupt('content checksum mismatch');
    }
  }

  private compressedBlock(end: number, frameStart: number, state: FrameState): void {
    this.literals(end, state);
    this.sequences(end, frameStart, state);
  }

  private literals(end: number, state: FrameState): void {
    const src = this.src;
    if (this.ip >= end) corrupt('missing literals section');
    const b0 = src[this.ip]!;
    const type = b0 & 3;
    const sizeFormat = (b0 >>> 2) & 3;
    if (type < 2) {
      let regenerated: number;
      let headerBytes: number;
      if ((sizeFormat & 1) === 0) {
        regenerated = b0 >>> 3;
        headerBytes = 1;
      } else if (sizeFormat === 1) {
        headerBytes = 2;
        if (this.ip + 2 > end) corrupt('truncated literals header');
        regenerated = (b0 >>> 4) | (src[this.ip + 1]! << 4);
      } else {
        headerBytes = 3;
        if (this.ip + 3 > end) corrupt('truncated literals header');
        regenerated = (b0 >>> 4) | (src[this.ip + 1]! << 4) | (src[this.ip + 2]! << 12);
      }
      if (regenerated > BLOCK_MAX) corrupt(`${regenerated} literals exceed the block maximum`);
      this.ip += headerBytes;
      if (type === 0) {
        if (this.ip + regenerated > end) corrupt('raw literals run past the block');
        this.lit = src;
        this.litPos = this.ip;
        this.ip += regenerated;
        this.litEnd = this.ip;
      } else {
        if (this.ip + 1 > end) corrupt('truncated RLE literals');
        const scratch = this.scratchBuffer();
        scratch.fill(src[this.ip++]!, 0, regenerated);
        this.lit = scratch;
        this.litPos = 0;
        this.litEnd = regenerated;
      }
      return;
    }
    // Compressed (2) or treeless (3): both sizes share a 3, 4 or 5-byte little-endian field.
    const headerBytes = sizeFormat < 2 ? 3 : sizeFormat === 2 ? 4 : 5;
    const sizeBits = sizeFormat < 2 ? 10 : sizeFormat === 2 ? 14 : 18;
    if (this.ip + headerBytes > end) corrupt('truncated literals header');
    let header = 0;
    for (let i = headerBytes - 1; i >= 0; i--) header = header * 256 + src[this.ip + i]!;
    const sizeMask = 2 ** sizeBits;
    const regenerated = Math.floor(header / 16) % sizeMask;
    const compressed = Math.floor(header / 16 / sizeMask) % sizeMask;
    const fourStreams = sizeFormat !== 0;
    if (regenerated > BLOCK_MAX) corrupt(`${regenerated} literals exceed the block maximum`);
    this.ip += headerBytes;
    const litEnd = this.ip + compressed;
    if (litEnd > end) corrupt('compressed literals run past the block');
    let streams = this.ip;
    if (type === 2) {
      const [table, bytes] = readHuffmanTable(src, this.ip, litEnd);
      state.huffman = table;
      streams += bytes;
    } else if (!state.huffman) {
      corrupt('treeless literals without an earlier Huffman tree');
    }
    const table = state.huffman;
    const scratch = this.scratchBuffer();
    if (!fourStreams) {
      decodeHuffmanStream(table, src, streams, litEnd, scratch, 0, regenerated);
    } else {
      if (streams + 6 > litEnd) corrupt('truncated Huffman jump table');
      const s1 = src[streams]! | (src[streams + 1]! << 8);
      const s2 = src[streams + 2]! | (src[streams + 3]! << 8);
      const s3 = src[streams + 4]! | (src[streams + 5]! << 8);
      const start1 = streams + 6;
      const start2 = start1 + s1;
      const start3 = start2 + s2;
      const start4 = start3 + s3;
      if (start4 > litEnd) corrupt('Huffman jump table points past the literals');
      const segment = Math.floor((regenerated + 3) / 4);
      const lastSegment = regenerated - 3 * segment;
      if (lastSegment < 0) corrupt(`${regenerated} literals are too few for 4 streams`);
      decodeHuffmanStream(table, src, start1, start2, scratch, 0, segment);
      decodeHuffmanStream(table, src, start2, start3, scratch, segment, segment);
      decodeHuffmanStream(table, src, start3, start4, scratch, 2 * segment, segment);
      decodeHuffmanStream(table, src, start4, litEnd, scratch, 3 * segment, lastSegment);
    }
    this.lit = scratch;
    this.litPos = 0;
    this.litEnd = regenerated;
    this.ip = litEnd;
  }

  private scratchBuffer(): Uint8Array {
    this.scratch ??= new Uint8Array(BLOCK_MAX);
    return this.scratch;
  }

  /** Reads one table's mode (0 predefined, 1 RLE, 2 described, 3 repeat). */
  private table(
    mode: number,
    end: number,
    field: SequenceField,
    previous: FseTable | undefined,
  ): FseTable {
    if (mode === 0) return field.predefined;
    if (mode === 1) {
      if (this.ip >= end) corrupt(`truncated ${field.name} RLE symbol`);
      const s = this.src[this.ip++]!;
      if (s > field.maxSymbol) corrupt(`${field.name} RLE symbol ${s} above ${field.maxSymbol}`);
      return rleFseTable(s);
    }
    if (mode === 2) {
      const { maxSymbol, maxLog, name } = field;
      const desc = readNormalizedCounts(this.src, this.ip, end, maxSymbol, maxLog, name);
      this.ip += desc.bytes;
      return buildFseTable(desc.counts, desc.accuracyLog);
    }
    if (!previous) corrupt(`${field.name} repeat mode without an earlier table`);
    return previous;
  }

  private sequences(end: number, frameStart: number, state: FrameState): void {
    const src = this.src;
    if (this.ip >= end) corrupt('missing sequences section');
    let count = src[this.ip++]!;
    if (count >= 128) {
      if (count === 255) {
        if (this.ip + 2 > end) corrupt('truncated sequence count');
        count = src[this.ip]! + (src[this.ip + 1]! << 8) + 0x7f00;
        this.ip += 2;
      } else {
        if (this.ip + 1 > end) corrupt('truncated sequence count');
        count = ((count - 128) << 8) + src[this.ip++]!;
      }
    }
    if (count === 0) {
      if (this.ip !== end) corrupt('bytes after an empty sequences section');
      this.copyLiterals(this.litEnd - this.litPos);
      return;
    }
    if (this.ip >= end) corrupt('truncated sequence compression modes');
    const modes = src[this.ip++]!;
    if (modes & 3) corrupt('reserved bits set in the sequence compression modes');
    // Tables come in the order literal lengths, offsets, match lengths.
    const ll = this.table(modes >>> 6, end, LITERAL_LENGTHS, state.ll);
    const of = this.table((modes >>> 4) & 3, end, OFFSETS, state.of);
    const ml = this.table((modes >>> 2) & 3, end, MATCH_LENGTHS, state.ml);
    state.ll = ll;
    state.of = of;
    state.ml = ml;
    if (this.ip > end) corrupt('sequence tables run past the block');
    const r = new BackwardBitReader(src, this.ip, end, 'sequences');
    let llState = r.read(ll.accuracyLog);
    let ofState = r.read(of.accuracyLog);
    let mlState = r.read(ml.accuracyLog);
    const reps = state.reps;
    const out = this.out;
    // Imported bindings read through getters once compiled by tsx; locals keep the loop fast.
    const [llBase, llBits, mlBase, mlBits] = [LL_BASE, LL_BITS, ML_BASE, ML_BITS];
    for (let n = 1; n <= count; n++) {
      const ofCode = of.symbol[ofState]!;
      const mlCode = ml.symbol[mlState]!;
      const llCode = ll.symbol[llState]!;
      // Extra bits come in the order offset, match length, literal length.
      const offsetValue = 2 ** ofCode + r.readLong(ofCode);
      const matchLength = mlBase[mlCode]! + r.read(mlBits[mlCode]!);
      const literalLength = llBase[llCode]! + r.read(llBits[llCode]!);
      let offset: number;
      if (offsetValue > 3) {
        offset = offsetValue - 3;
        reps[2] = reps[1]!;
        reps[1] = reps[0]!;
        reps[0] = offset;
      } else {
        // Repeat offsets; with no literals before the match, the codes shift by one.
        const index = offsetValue - (literalLength === 0 ? 0 : 1);
        if (index === 0) {
          offset = reps[0]!;
        } else {
          offset = index === 3 ? reps[0]! - 1 : reps[index]!;
          if (offset === 0) corrupt('repeat offset 0');
          if (index !== 1) reps[2] = reps[1]!;
          reps[1] = reps[0]!;
          reps[0] = offset;
        }
      }
      if (n < count) {
        // States advance in the order literal length, match length, offset.
        llState = ll.baseline[llState]! + r.read(ll.nbBits[llState]!);
        mlState = ml.baseline[mlState]! + r.read(ml.nbBits[mlState]!);
        ofState = of.baseline[ofState]! + r.read(of.nbBits[ofState]!);
      }
      if (r.pos < 0) corrupt('sequences bit stream ended early');
      this.copyLiterals(literalLength);
      let op = this.op;
      if (offset > op - frameStart) corrupt(`match offset ${offset} before the frame start`);
      this.room(matchLength);
      let from = op - offset;
      if (offset >= matchLength && matchLength > 32) {
        out.copyWithin(op, from, from + matchLength);
        op += matchLength;
      } else {
        // Short or overlapping: byte by byte repeats the pattern, as the format intends.
        const stop = op + matchLength;
        while (op < stop) out[op++] = out[from++]!;
      }
      this.op = op;
    }
    if (r.pos !== 0) corrupt('sequences bit stream has bits left over');
    this.copyLiterals(this.litEnd - this.litPos);
  }

  private copyLiterals(n: number): void {
    if (n === 0) return;
    if (this.litPos + n > this.litEnd) corrupt('sequences use more literals than the block has');
    this.room(n);
    const lit = this.lit;
    let p = this.litPos;
    let op = this.op;
    if (n > 32) {
      this.out.set(lit.subarray(p, p + n), op);
      op += n;
      p += n;
    } else {
      const out = this.out;
      const stop = op + n;
      while (op < stop) out[op++] = lit[p++]!;
    }
    this.litPos = p;
    this.op = op;
  }
}

/**
 * Decompresses one or more ZSTD frames (skippable frames are skipped). Output beyond
 * `maxSize` bytes is an error; the result may be shorter (the caller checks the size).
 */
export function zstdDecompress(src: Buffer, maxSize: number): Buffer {
  if (src.length === 0) corrupt('empty input, no frame');
  if (!Number.isSafeInteger(maxSize) || maxSize < 0 || maxSize > constants.MAX_LENGTH) {
    throw new CompressionError(`cannot decompress into ${maxSize} bytes (not a buffer size)`);
  }
  const d = new Decoder(src, Buffer.allocUnsafe(maxSize));
  while (d.ip < src.length) {
    if (d.ip + 4 > src.length) corrupt('truncated magic number');
    const magic = src.readUInt32LE(d.ip);
    if (magic === ZSTD_MAGIC) {
      d.frame();
    } else if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (d.ip + 8 > src.length) corrupt('truncated skippable frame header');
      const size = src.readUInt32LE(d.ip + 4);
      if (d.ip + 8 + size > src.length) corrupt('truncated skippable frame');
      d.ip += 8 + size;
    } else {
      corrupt(`unknown magic number 0x${magic.toString(16)}`);
    }
  }
  return d.out.subarray(0, d.op);
}
