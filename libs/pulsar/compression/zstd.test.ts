import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Random } from '../testing/random.ts';
import { CompressionError } from './errors.ts';
import { normalizeCounts, readNormalizedCounts, writeNormalizedCounts } from './fse.ts';
import {
  buildHuffmanCode,
  decodeHuffmanStream,
  readHuffmanTable,
  writeHuffmanStream,
  writeHuffmanTree,
} from './huffman.ts';
import { xxhash64 } from './xxhash64.ts';
import { zstdCompress, zstdDecompress } from './zstd.ts';
import { FIXTURES, mixedData, sensorText } from './zstd-fixtures.ts';

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

/** A frame around one compressed block body: single segment, 1-byte content size. */
function frame(contentSize: number, body: Buffer, last = true): Buffer {
  const header = (last ? 1 : 0) | (2 << 1) | (body.length << 3);
  return Buffer.concat([
    hex('28b52ffd 20'),
    Buffer.from([contentSize, header & 0xff, (header >>> 8) & 0xff, header >>> 16]),
    body,
  ]);
}

function roundTrip(data: Buffer): Buffer {
  const packed = zstdCompress(data);
  assert.deepEqual(zstdDecompress(packed, data.length), data);
  return packed;
}

/** Binary data whose literals use all 256 byte values but compress (FSE-coded weights). */
function skewedBytes(rnd: Random, n: number): Buffer {
  return Buffer.from(
    Array.from({ length: n }, () => (rnd.int(10) === 0 ? rnd.int(256) : rnd.int(16))),
  );
}

function randomBytes(rnd: Random, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = rnd.int(256);
  return out;
}

test('XXH64 matches the reference values', () => {
  const hash = (s: string): string =>
    xxhash64(Buffer.from(s))
      .map((h) => h.toString(16).padStart(8, '0'))
      .join('');
  assert.equal(hash(''), 'ef46db3751d8e999');
  assert.equal(hash('a'), 'd24ec4f1a98c6e5b');
  assert.equal(hash('abc'), '44bc2cf5ad770999');
  // Low halves as `zstd -C` stores them (its last 4 bytes) for inputs past the 32-byte lanes.
  assert.equal(xxhash64(Buffer.alloc(100, 'x'))[1], 0x88a3c094);
  assert.equal(
    xxhash64(Buffer.from('hello world, this is a long string of 45 chars!'))[1],
    0x71fbd264,
  );
});

test('property: FSE table descriptions we write read back the same (seeded)', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = new Random(seed);
    const symbols = 1 + rnd.int(53);
    const counts = new Uint32Array(symbols);
    let total = 0;
    for (let s = 0; s < symbols; s++) {
      counts[s] = rnd.bool() ? 0 : rnd.int(rnd.bool() ? 5 : 5000);
      total += counts[s]!;
    }
    if (total < 2) continue;
    const { norm, accuracyLog } = normalizeCounts(counts, total, 9);
    assert.equal(
      norm.reduce((a, b) => a + b, 0),
      1 << accuracyLog,
      `seed ${seed}: sums up`,
    );
    for (let s = 0; s < symbols; s++) assert.equal(norm[s]! > 0, counts[s]! > 0, `seed ${seed}`);
    const out = new Uint8Array(200);
    const end = writeNormalizedCounts(norm, accuracyLog, out, 3);
    const back = readNormalizedCounts(out, 3, end, 52, 9, 'test');
    assert.equal(back.bytes, end - 3, `seed ${seed}: length`);
    assert.equal(back.accuracyLog, accuracyLog);
    let last = symbols - 1;
    while (norm[last] === 0) last--;
    assert.deepEqual([...back.counts], [...norm.subarray(0, last + 1)], `seed ${seed}`);
  }
});

test('property: Huffman codes we build decode with the table the decoder builds (seeded)', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = new Random(seed);
    const alphabet = 2 + rnd.int(255);
    // Skewed counts (some symbols 1000× more frequent) push codes to the 11-bit limit.
    const data = Buffer.from(
      Array.from({ length: 2 + rnd.int(3000) }, () =>
        rnd.int(10) === 0 ? rnd.int(alphabet) : rnd.int(1 + rnd.int(3)),
      ),
    );
    data[0] = alphabet - 1; // at least two distinct symbols
    data[data.length - 1] = 0;
    const counts = new Uint32Array(256);
    for (const b of data) counts[b]!++;
    const code = buildHuffmanCode(counts);
    const out = new Uint8Array(4 * data.length + 200);
    const treeEnd = writeHuffmanTree(code, out, 0);
    const streamEnd = writeHuffmanStream(code, data, 0, data.length, out, treeEnd);
    const [table, bytes] = readHuffmanTable(out, 0, treeEnd);
    assert.equal(bytes, treeEnd);
    const back = new Uint8Array(data.length);
    decodeHuffmanStream(table, out, treeEnd, streamEnd, back, 0, data.length);
    assert.deepEqual(Buffer.from(back), data, `seed ${seed}`);
  }
});

for (const fx of FIXTURES) {
  test(`decodes a frame made by \`${fx.made}\` (${fx.covers})`, () => {
    const expected = fx.input();
    const packed = Buffer.from(fx.base64, 'base64');
    assert.deepEqual(zstdDecompress(packed, expected.length), expected);
  });
}

test('decodes RLE literals, several frames and skippable frames', () => {
  // Literals section type 1 (RLE), size 5, byte 'x'; then 0 sequences.
  const rle = frame(5, hex('29 78 00'));
  assert.equal(zstdDecompress(rle, 5).toString(), 'xxxxx');
  const skippable = Buffer.concat([hex('5a2a4d18 03000000'), Buffer.from('abc')]);
  const second = zstdCompress(Buffer.from('hello'));
  const joined = Buffer.concat([skippable, rle, second, skippable]);
  assert.equal(zstdDecompress(joined, 10).toString(), 'xxxxxhello');
});

test('a frame may omit its content size; raw and RLE blocks', () => {
  // Window descriptor 0 (1 KiB), no content size; raw block 'ab', last RLE block 3 × 'c'.
  const data = hex('28b52ffd 00 00 100000 6162 1b0000 63');
  assert.equal(zstdDecompress(data, 100).toString(), 'abccc');
});

test('rejects dictionaries, bad checksums, reserved bits and oversized output clearly', () => {
  const withDict = hex('28b52ffd 21 07 05 010000 68656c6c6f');
  assert.throws(() => zstdDecompress(withDict, 5), /dictionary 7.*not supported/);
  const good = zstdCompress(Buffer.from('hello hello hello hello'));
  const badSum = Buffer.from(good);
  badSum[badSum.length - 1]! ^= 1;
  assert.throws(() => zstdDecompress(badSum, 23), /checksum mismatch/);
  assert.throws(() => zstdDecompress(good, 22), /declares 23 bytes, more than the expected 22/);
  // No content size in the header: the limit is hit while decoding instead.
  const noSize = hex('28b52ffd 00 00 1b0000 63');
  assert.throws(() => zstdDecompress(noSize, 2), /output larger than the expected 2 bytes/);
  assert.throws(() => zstdDecompress(hex('28b52ffd 28 00'), 1), /reserved bit/);
  assert.throws(() => zstdDecompress(hex('28b52ffd 20 01 070000'), 1), /reserved block type/);
  assert.throws(() => zstdDecompress(hex('01020304'), 1), /unknown magic number/);
  assert.throws(() => zstdDecompress(Buffer.alloc(0), 1), /empty input/);
  assert.throws(() => zstdDecompress(good, -1), /not a buffer size/);
  assert.throws(() => zstdDecompress(good, 2 ** 60), /not a buffer size/);
});

test('round-trips empty, tiny, random and repetitive inputs', () => {
  roundTrip(Buffer.alloc(0));
  roundTrip(Buffer.from('a'));
  roundTrip(Buffer.from('abcd'));
  const rnd = new Random(42);
  for (const n of [1, 5, 31, 255, 256, 257, 4096, 65791, 65792, 70000]) {
    roundTrip(randomBytes(rnd, n));
    roundTrip(Buffer.alloc(n, 7));
    roundTrip(skewedBytes(rnd, n));
    roundTrip(sensorText(n, Math.ceil(n / 120)).subarray(0, n));
  }
});

test('property: round-trips seeded mixtures of matches and literals', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const rnd = new Random(seed);
    const n = rnd.pick([10, 100, 1000, 20000, 140000]);
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n;) {
      if (i > 4 && rnd.bool()) {
        const back = 1 + rnd.int(Math.min(i, rnd.bool() ? 16 : 100000));
        for (let k = 1 + rnd.int(200); k > 0 && i < n; k--, i++) out[i] = out[i - back]!;
      } else {
        for (let k = 1 + rnd.int(30); k > 0 && i < n; k--, i++)
          out[i] = rnd.int(rnd.bool() ? 3 : 256);
      }
    }
    roundTrip(out);
  }
});

test('several MiB of sensor data: many blocks, compresses, round-trips', () => {
  const data = sensorText(9, 50_000); // ≈ 5 MiB, 38 blocks
  const packed = roundTrip(data);
  assert.ok(packed.length < data.length / 3, `${packed.length} of ${data.length}`);
  const zeros = roundTrip(Buffer.alloc(3 * 1024 * 1024));
  assert.ok(zeros.length < 24 * 4 + 20, 'each 128 KiB of one byte is a 4-byte RLE block');
  const rnd = new Random(5);
  const noise = randomBytes(rnd, 300_000);
  assert.ok(roundTrip(noise).length <= noise.length + 30, 'random data is stored raw');
});

test('the reference zstd CLI decodes our frames', (t) => {
  if (spawnSync('zstd', ['--version']).status !== 0) {
    t.skip('no zstd CLI here (only an extra check; fixtures cover the other direction)');
    return;
  }
  for (const data of [
    Buffer.alloc(0),
    sensorText(4, 3000),
    mixedData(8),
    Buffer.alloc(300_000, 1),
    skewedBytes(new Random(3), 200_000),
  ]) {
    const run = spawnSync('zstd', ['-d', '-c'], { input: zstdCompress(data) });
    assert.equal(run.status, 0, run.stderr.toString());
    assert.deepEqual(run.stdout, data);
  }
});

test('property: random, flipped and truncated input gives CompressionError, never a crash or hang', () => {
  const inputs = [sensorText(3, 30), mixedData(6)];
  const frames = [
    ...FIXTURES.map((f) => Buffer.from(f.base64, 'base64')),
    ...inputs.map(zstdCompress),
  ];
  const magic = hex('28b52ffd');
  for (let seed = 1; seed <= 3000; seed++) {
    const rnd = new Random(seed);
    const good = rnd.pick(frames);
    const flipped = Buffer.from(good);
    for (let k = 1 + rnd.int(3); k > 0; k--) flipped[rnd.int(flipped.length)]! ^= 1 + rnd.int(255);
    const candidates = [
      flipped,
      good.subarray(0, rnd.int(good.length)),
      randomBytes(rnd, rnd.int(200)),
      Buffer.concat([magic, randomBytes(rnd, rnd.int(300))]),
    ];
    for (const bad of candidates) {
      try {
        zstdDecompress(bad, 20_000);
      } catch (err) {
        assert.ok(err instanceof CompressionError, `seed ${seed}: ${String(err)}`);
      }
    }
  }
});
