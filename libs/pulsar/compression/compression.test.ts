import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionType } from '../protocol/commands.ts';
import { Random } from '../testing/random.ts';
import { compress, decompress, CompressionError, isCompressionSupported } from './index.ts';
import { lz4Compress, lz4Decompress } from './lz4.ts';
import { snappyCompress, snappyDecompress } from './snappy.ts';

/** Data with repeats at various distances, like batches of similar records. */
function sample(rnd: Random, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let i = 0;
  while (i < size) {
    if (i > 8 && rnd.bool()) {
      const back = 1 + rnd.int(Math.min(i, 70000));
      const len = Math.min(size - i, 1 + rnd.int(300));
      for (let k = 0; k < len; k++, i++) out[i] = out[i - back]!;
    } else {
      const len = Math.min(size - i, 1 + rnd.int(20));
      for (let k = 0; k < len; k++, i++) out[i] = rnd.int(rnd.bool() ? 4 : 256);
    }
  }
  return out;
}

const codecs = [
  CompressionType.LZ4,
  CompressionType.SNAPPY,
  CompressionType.ZLIB,
  CompressionType.ZSTD,
];

test('property: every codec round-trips random data of many sizes (seeded)', () => {
  for (let seed = 1; seed <= 120; seed++) {
    const rnd = new Random(seed);
    const size = rnd.pick([0, 1, 4, 12, 13, 17, 100, 1000, 70000, 200000]);
    const data = sample(rnd, size);
    for (const type of codecs) {
      const packed = compress(type, data);
      assert.deepEqual(decompress(type, packed, data.length), data, `seed ${seed} type ${type}`);
    }
  }
});

test('repetitive data actually compresses', () => {
  const data = Buffer.from('{"sensorId":12345,"temperature":21.5}'.repeat(200));
  for (const type of codecs)
    assert.ok(compress(type, data).length < data.length / 5, `type ${type}`);
});

test('a hand-made LZ4 block decodes per the spec (overlapping match)', () => {
  // token: 1 literal, match length 4+6=10; literal 'a'; offset 1 → 11 × 'a'; then 5 literals.
  const block = Buffer.from([0x16, 0x61, 0x01, 0x00, 0x50, 0x62, 0x63, 0x64, 0x65, 0x66]);
  assert.equal(lz4Decompress(block, 16).toString(), 'aaaaaaaaaaabcdef');
});

test('a hand-made Snappy stream decodes per the spec', () => {
  // length 12; literal 'abcd' (tag (4-1)<<2); copy-1 len 8 offset 4 (tag 1|(8-4)<<2)
  const data = Buffer.from([12, 3 << 2, 0x61, 0x62, 0x63, 0x64, 1 | (4 << 2), 4]);
  assert.equal(snappyDecompress(data).toString(), 'abcdabcdabcd');
});

test('property: corrupt input gives CompressionError, never a crash or hang', () => {
  for (let seed = 1; seed <= 500; seed++) {
    const rnd = new Random(seed);
    const good = sample(rnd, 500);
    const packedLz4 = lz4Compress(good);
    const packedSnappy = snappyCompress(good);
    for (const [packed, unpack] of [
      [packedLz4, (b: Buffer) => lz4Decompress(b, good.length)],
      [packedSnappy, (b: Buffer) => snappyDecompress(b, good.length)],
      [
        compress(CompressionType.ZLIB, good),
        (b: Buffer) => decompress(CompressionType.ZLIB, b, good.length),
      ],
      [
        compress(CompressionType.ZSTD, good),
        (b: Buffer) => decompress(CompressionType.ZSTD, b, good.length),
      ],
    ] as const) {
      const bad = Buffer.from(packed);
      bad[rnd.int(bad.length)] ^= 1 + rnd.int(255);
      const cut = bad.subarray(0, rnd.int(bad.length));
      for (const input of [bad, cut, rnd.bytes(40)]) {
        try {
          unpack(input);
        } catch (err) {
          assert.ok(err instanceof CompressionError, `seed ${seed}: ${String(err)}`);
        }
      }
    }
  }
});

test('ZSTD: node:zlib frames, bounded by the size the metadata declares', () => {
  assert.ok(isCompressionSupported(CompressionType.ZSTD));
  const data = Buffer.from('{"sensorId":12345,"temperature":21.5}'.repeat(50));
  const packed = compress(CompressionType.ZSTD, data);
  assert.equal(packed.readUInt32LE(0), 0xfd2fb528, 'a ZSTD frame');
  assert.deepEqual(decompress(CompressionType.ZSTD, packed, data.length), data);
  assert.throws(
    () => decompress(CompressionType.ZSTD, packed, data.length + 1),
    /decompressed 1850 bytes, metadata says 1851/,
  );
  assert.throws(
    () => decompress(CompressionType.ZSTD, packed, data.length - 1),
    /more than the 1849 bytes the metadata says/,
  );
  // A 64 MiB bomb in a few hundred bytes stops at the declared size, not at 64 MiB.
  const bomb = compress(CompressionType.ZSTD, Buffer.alloc(64 * 1024 * 1024));
  assert.ok(bomb.length < 10_000);
  assert.throws(() => decompress(CompressionType.ZSTD, bomb, 100), /more than the 100 bytes/);
});

test('ZSTD: a payload of two frames is refused, never cut to the first one', () => {
  // node:zlib stops after the first frame; Pulsar clients write one frame per payload, and
  // the size check turns anything else into an error instead of a shortened message.
  const a = compress(CompressionType.ZSTD, Buffer.from('hello '));
  const b = compress(CompressionType.ZSTD, Buffer.from('world'));
  assert.throws(
    () => decompress(CompressionType.ZSTD, Buffer.concat([a, b]), 11),
    /decompressed 6 bytes, metadata says 11/,
  );
});

test('ZLIB: reads the Java client’s sync-flushed, unfinished deflate stream', () => {
  // What java.util.zip.Deflater.deflate(buf, SYNC_FLUSH) without finish() writes for
  // "hello hello hello hello world": zlib header, one block, the empty sync block, no trailer.
  const javaStyle = Buffer.from('789cca48cdc9c957c8c020cbf38b725200000000ffff', 'hex');
  const text = 'hello hello hello hello world';
  assert.equal(decompress(CompressionType.ZLIB, javaStyle, text.length).toString(), text);
  assert.throws(
    () => decompress(CompressionType.ZLIB, javaStyle.subarray(0, 10), text.length),
    CompressionError,
  );
});

test('LZ4: consecutive blocks never match into an earlier call (one hash table for all)', () => {
  const rnd = new Random(77);
  // Similar content across calls, so stale hash entries would look like matches.
  const words = ['sensor_', 'temperature', '21.5', 'online', 'site-', '0000', 'device'];
  for (let k = 0; k < 300; k++) {
    const parts: string[] = [];
    const count = 1 + rnd.int(k % 10 === 0 ? 4000 : 200);
    for (let i = 0; i < count; i++) parts.push(words[rnd.int(words.length)]!, String(rnd.int(50)));
    const data = Buffer.from(parts.join(k % 2 ? ',' : ';'));
    const packed = lz4Compress(data);
    assert.ok(lz4Decompress(Buffer.from(packed), data.length).equals(data), `block ${k}`);
  }
});

test('a declared size above maxMessageSize is refused before any codec allocates', () => {
  const data = compress(CompressionType.LZ4, Buffer.alloc(100, 7));
  for (const type of codecs) {
    // 4 GiB - 1, the largest uncompressed_size metadata can carry: no allocation happens.
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(
      () => decompress(type, data, 0xffffffff),
      (err: unknown) =>
        err instanceof CompressionError &&
        /above the 5242880-byte maxMessageSize/.test(err.message),
    );
    assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, CompressionType[type]);
    for (const bad of [-1, 1.5, Number.NaN]) {
      assert.throws(() => decompress(type, data, bad), CompressionError);
    }
  }
});

test('the limit is configurable: at it a payload decodes, one byte over it is refused', () => {
  const plain = Buffer.alloc(1000, 3);
  for (const type of codecs) {
    const packed = compress(type, plain);
    assert.deepEqual(decompress(type, packed, 1000, 1000), plain);
    assert.throws(() => decompress(type, packed, 1000, 999), /above the 999-byte maxMessageSize/);
  }
  // An uncompressed payload is bounded by its frame, not by a declared size.
  assert.deepEqual(decompress(CompressionType.NONE, plain, 0, 10), plain);
});

test('a Snappy preamble shorter than the metadata size is refused, not returned short (fuzz finding)', () => {
  const plain = Buffer.from('a reading of forty-two bytes, more or less');
  const packed = compress(CompressionType.SNAPPY, plain);
  assert.equal(
    decompress(CompressionType.SNAPPY, packed, plain.length).toString(),
    plain.toString(),
  );
  assert.throws(
    () => decompress(CompressionType.SNAPPY, packed, plain.length + 1),
    (err: unknown) => err instanceof CompressionError && /metadata says/.test(err.message),
  );
  const lz4 = compress(CompressionType.LZ4, plain);
  assert.throws(() => decompress(CompressionType.LZ4, lz4, plain.length + 1), CompressionError);
});
