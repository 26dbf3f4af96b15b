// Snappy raw format (what Pulsar's SNAPPY codec writes): a varint of the uncompressed length,
// then literal and copy elements.
import { CompressionError } from './errors.ts';

const HASH_BITS = 14;
const MAX_OFFSET = 65535;

function emitLiteral(out: Buffer, op: number, src: Buffer, from: number, to: number): number {
  const len = to - from;
  if (len === 0) return op;
  const n = len - 1;
  if (n < 60) {
    out[op++] = n << 2;
  } else if (n < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = n;
  } else if (n < 0x10000) {
    out[op++] = 61 << 2;
    out.writeUInt16LE(n, op);
    op += 2;
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2;
    out.writeUIntLE(n, op, 3);
    op += 3;
  } else {
    out[op++] = 63 << 2;
    out.writeUInt32LE(n, op);
    op += 4;
  }
  return op + src.copy(out, op, from, to);
}

function emitCopy(out: Buffer, op: number, offset: number, length: number): number {
  let len = length;
  // 2-byte-offset copies carry 1..64 bytes; keep every piece at least 4 long.
  while (len > 0) {
    const piece = len > 64 ? (len - 64 < 4 ? 60 : 64) : len;
    out[op++] = ((piece - 1) << 2) | 2;
    out.writeUInt16LE(offset, op);
    op += 2;
    len -= piece;
  }
  return op;
}

export function snappyCompress(src: Buffer): Buffer {
  const n = src.length;
  const out = Buffer.allocUnsafe(32 + n + Math.ceil(n / 6));
  let op = 0;
  let v = n;
  while (v >= 0x80) {
    out[op++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[op++] = v;
  let anchor = 0;
  if (n >= 8) {
    const table = new Int32Array(1 << HASH_BITS).fill(-1);
    let ip = 0;
    const limit = n - 4;
    while (ip <= limit) {
      const seq = src.readUInt32LE(ip);
      const h = Math.imul(seq, 0x1e35a7bd) >>> (32 - HASH_BITS);
      const ref = table[h]!;
      table[h] = ip;
      if (ref < 0 || ip - ref > MAX_OFFSET || src.readUInt32LE(ref) !== seq) {
        ip++;
        continue;
      }
      let len = 4;
      while (ip + len < n && src[ref + len] === src[ip + len]) len++;
      op = emitLiteral(out, op, src, anchor, ip);
      op = emitCopy(out, op, ip - ref, len);
      ip += len;
      anchor = ip;
    }
  }
  op = emitLiteral(out, op, src, anchor, n);
  return out.subarray(0, op);
}

export function snappyUncompressedLength(src: Buffer): [length: number, headerSize: number] {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= src.length) break;
    const b = src[i]!;
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [result, i + 1];
    shift += 7;
  }
  throw new CompressionError('corrupt Snappy data: bad length preamble');
}

export function snappyDecompress(src: Buffer, maxSize = Number.MAX_SAFE_INTEGER): Buffer {
  const [size, header] = snappyUncompressedLength(src);
  const fail = (why: string): never => {
    throw new CompressionError(`corrupt Snappy data: ${why}`);
  };
  if (size > maxSize) fail(`declares ${size} bytes, more than the expected ${maxSize}`);
  const out = Buffer.allocUnsafe(size);
  const n = src.length;
  let ip = header;
  let op = 0;
  while (ip < n) {
    const tag = src[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (ip + extra > n) fail('truncated literal length');
        len = src.readUIntLE(ip, extra);
        ip += extra;
      }
      len += 1;
      if (ip + len > n) fail('literal runs past the input');
      if (op + len > size) fail('output larger than declared');
      op += src.copy(out, op, ip, ip + len);
      ip += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (ip + 1 > n) fail('truncated copy');
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[ip++]!;
    } else if (kind === 2) {
      if (ip + 2 > n) fail('truncated copy');
      len = (tag >>> 2) + 1;
      offset = src.readUInt16LE(ip);
      ip += 2;
    } else {
      if (ip + 4 > n) fail('truncated copy');
      len = (tag >>> 2) + 1;
      offset = src.readUInt32LE(ip);
      ip += 4;
    }
    if (offset === 0 || offset > op) fail(`copy offset ${offset} outside the output`);
    if (op + len > size) fail('output larger than declared');
    let from = op - offset;
    if (offset >= len) {
      out.copy(out, op, from, from + len);
      op += len;
    } else {
      for (let i = 0; i < len; i++) out[op++] = out[from++]!;
    }
  }
  if (op !== size) fail(`decompressed ${op} bytes, preamble says ${size}`);
  return out;
}
