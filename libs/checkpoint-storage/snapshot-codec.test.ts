import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import {
  SnapshotFormatError,
  decodeSnapshot,
  encodeSnapshot,
  sha256Hex,
} from './snapshot-codec.ts';

const snapshot = {
  entries: new Map([
    ['sensor_1|60000', '{"n":3}'],
    ['sensor_2|60000', 'ünïcode ✓'],
  ]),
  meta: new Map([['pos:0', '12:34:-1:-1']]),
  pending: ['a', 'b'],
};

test('snapshot round trip keeps entries, meta, pending order and info', () => {
  const body = encodeSnapshot(snapshot, { ownerEpoch: 7, takenAt: 1234 });
  const back = decodeSnapshot(body);
  assert.deepEqual(back.snapshot, snapshot);
  assert.equal(back.ownerEpoch, 7);
  assert.equal(back.takenAt, 1234);
  assert.deepEqual([...back.snapshot.entries.keys()], [...snapshot.entries.keys()]);
});

test('an empty snapshot round trips and is small', () => {
  const body = encodeSnapshot({ entries: new Map(), meta: new Map(), pending: [] });
  assert.ok(body.length < 80);
  assert.deepEqual(decodeSnapshot(body).snapshot, {
    entries: new Map(),
    meta: new Map(),
    pending: [],
  });
});

test('foreign bytes are refused with a message naming the object', () => {
  assert.throws(() => decodeSnapshot(Buffer.from('nope'), 's3://b/k'), {
    name: 'SnapshotFormatError',
    message: /s3:\/\/b\/k: not a partition snapshot \(cannot gunzip/,
  });
  const wrong = gzipSync(JSON.stringify({ v: 1, entries: [[1, 2]], meta: [], pending: [] }));
  assert.throws(() => decodeSnapshot(wrong), SnapshotFormatError);
  const future = gzipSync(JSON.stringify({ v: 2, entries: [], meta: [], pending: [] }));
  assert.throws(() => decodeSnapshot(future), /format version 2, expected 1/);
});

test('sha256Hex is the hex digest', () => {
  assert.equal(
    sha256Hex(Buffer.from('abc')),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
});

test('a snapshot that expands beyond the limit is refused while gunzipping, not decoded', () => {
  // 64 MiB of JSON whitespace compresses to about 64 KiB: a bomb for anything unbounded.
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
  assert.ok(bomb.length < 128 * 1024);
  assert.throws(
    () => decodeSnapshot(bomb, 's3://b/k', 1024 * 1024),
    (err: unknown) =>
      err instanceof SnapshotFormatError && /expands beyond 1048576 bytes/.test(err.message),
  );
  const good = encodeSnapshot(snapshot);
  assert.deepEqual(decodeSnapshot(good, 's3://b/k', 1024 * 1024).snapshot, snapshot);
});
