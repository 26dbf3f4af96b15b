// Cross-checks our LZ4 block codec against the reference liblz4 (through python3 ctypes),
// so a block we write is readable by the Java/C++ clients and vice versa. Skipped when
// python3 or liblz4.so.1 is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lz4Compress, lz4Decompress } from '../../libs/pulsar/compression/lz4.ts';

const SCRIPT = `
import ctypes, sys
lib = ctypes.CDLL('liblz4.so.1')
mode = sys.argv[1]; size = int(sys.argv[2])
data = sys.stdin.buffer.read()
if mode == 'compress':
    cap = lib.LZ4_compressBound(len(data))
    out = ctypes.create_string_buffer(cap)
    n = lib.LZ4_compress_default(data, out, len(data), cap)
else:
    out = ctypes.create_string_buffer(max(size, 1))
    n = lib.LZ4_decompress_safe(data, out, len(data), size)
if n < 0: sys.exit(3)
sys.stdout.buffer.write(out.raw[:n])
`;

function native(mode: 'compress' | 'decompress', data: Buffer, size = 0): Buffer | undefined {
  const r = spawnSync('python3', ['-c', SCRIPT, mode, String(size)], { input: data });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout;
}

const available = native('compress', Buffer.from('probe')) !== undefined;

function corpus(): Buffer[] {
  const json = Buffer.from(
    Array.from({ length: 400 }, (_, i) => `{"sensorId":${i % 37},"t":${20 + (i % 9)}.5}`).join(','),
  );
  const random = Buffer.alloc(5000);
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
  return [Buffer.alloc(0), Buffer.from('short'), json, random, Buffer.alloc(100000, 7)];
}

test('liblz4 decompresses what we compress', { skip: !available }, () => {
  for (const data of corpus()) {
    const ours = lz4Compress(data);
    assert.deepEqual(native('decompress', ours, data.length), data);
  }
});

test('we decompress what liblz4 compresses', { skip: !available }, () => {
  for (const data of corpus()) {
    const theirs = native('compress', data);
    assert.ok(theirs);
    assert.deepEqual(lz4Decompress(theirs, data.length), data);
  }
});
