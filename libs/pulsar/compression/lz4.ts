// LZ4 block format (no frame header), as Pulsar's LZ4 codec uses it: the consumer knows the
// uncompressed size from MessageMetadata.uncompressed_size.
import { CompressionError } from './errors.ts';

const MIN_MATCH = 4;
const LAST_LITERALS = 5; // the last 5 bytes are always literals
const MF_LIMIT = 12; // a match must start at least 12 bytes before the end
const HASH_BITS = 16;
const MAX_OFFSET = 65535;
/** Below this many bytes a copy is a plain loop: Buffer#copy's native call costs more. */
const SHORT_COPY = 32;

function writeLength(out: Buffer, op: number, len: number): number {
  let l = len;
  while (l >= 255) {
    out[op++] = 255;
    l -= 255;
  }
  out[op++] = l;
  return op;
}

// One hash table for every call: a fresh 256 KiB table per batch cost more than compressing a
// small batch. Entries hold position + base; anything below this call's base is from an
// earlier call and counts as empty.
const table = new Int32Array(1 << HASH_BITS);
let base = 0;

/** Greedy single-pass compressor producing a valid LZ4 block. */
export function lz4Compress(src: Buffer): Buffer {
  const n = src.length;
  const out = Buffer.allocUnsafe(n + Math.ceil(n / 255) + 16);
  let op = 0;
  let anchor = 0;
  if (n > MF_LIMIT) {
    if (base > 0x7fffffff - n - 1) {
      table.fill(0);
      base = 0;
    }
    base += 1; // every stored value is ≥ base, so a zeroed table is all empty
    const callBase = base;
    base += n;
    const matchStartLimit = n - MF_LIMIT;
    const matchEndLimit = n - LAST_LITERALS;
    let ip = 0;
    while (ip < matchStartLimit) {
      const seq = src.readUInt32LE(ip);
      const h = Math.imul(seq, 2654435761) >>> (32 - HASH_BITS);
      const ref = table[h]! - callBase;
      table[h] = ip + callBase;
      if (ref < 0 || ip - ref > MAX_OFFSET || src.readUInt32LE(ref) !== seq) {
        ip++;
        continue;
      }
      let len = MIN_MATCH;
      while (ip + len < matchEndLimit && src[ref + len] === src[ip + len]) len++;
      const litLen = ip - anchor;
      const tokenAt = op++;
      let token: number;
      if (litLen >= 15) {
        token = 0xf0;
        op = writeLength(out, op, litLen - 15);
      } else {
        token = litLen << 4;
      }
      if (litLen < SHORT_COPY) for (let i = anchor; i < ip; i++) out[op++] = src[i]!;
      else op += src.copy(out, op, anchor, ip);
      out[op++] = (ip - ref) & 0xff;
      out[op++] = (ip - ref) >>> 8;
      const ml = len - MIN_MATCH;
      if (ml >= 15) {
        token |= 15;
        op = writeLength(out, op, ml - 15);
      } else {
        token |= ml;
      }
      out[tokenAt] = token;
      ip += len;
      anchor = ip;
    }
  }
  const litLen = n - anchor;
  if (litLen >= 15) {
    out[op++] = 0xf0;
    op = writeLength(out, op, litLen - 15);
  } else {
    out[op++] = litLen << 4;
  }
  op += src.copy(out, op, anchor, n);
  return out.subarray(0, op);
}

/** Decompresses an LZ4 block whose decompressed size is known; any inconsistency throws. */
export function lz4Decompress(src: Buffer, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  const n = src.length;
  let ip = 0;
  let op = 0;
  const fail = (why: string): never => {
    throw new CompressionError(`corrupt LZ4 block: ${why}`);
  };
  while (ip < n) {
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= n) fail('literal length runs past the input');
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > n) fail('literals run past the input');
    if (op + lit > size) fail('output larger than the declared size');
    // Most literal runs and matches are a few bytes: a loop beats Buffer#copy's native call.
    if (lit < SHORT_COPY) for (let i = 0; i < lit; i++) out[op++] = src[ip + i]!;
    else op += src.copy(out, op, ip, ip + lit);
    ip += lit;
    if (ip === n) break; // the last sequence has literals only
    if (ip + 2 > n) fail('truncated match offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) fail(`match offset ${offset} outside the output`);
    let ml = token & 15;
    if (ml === 15) {
      let b: number;
      do {
        if (ip >= n) fail('match length runs past the input');
        b = src[ip++]!;
        ml += b;
      } while (b === 255);
    }
    ml += MIN_MATCH;
    if (op + ml > size) fail('output larger than the declared size');
    let from = op - offset;
    if (offset >= ml && ml >= SHORT_COPY) {
      out.copy(out, op, from, from + ml);
      op += ml;
    } else {
      for (let i = 0; i < ml; i++) out[op++] = out[from++]!;
    }
  }
  if (op !== size) fail(`decompressed ${op} bytes, metadata says ${size}`);
  return out;
}
