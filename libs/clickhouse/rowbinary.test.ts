import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRowBinary, type Column } from './rowbinary.ts';

const columns: Column[] = [
  ['s', 'String'],
  ['f', 'Float64'],
  ['b', 'UInt8'],
  ['u', 'UInt32'],
  ['t', 'DateTime'],
  ['w', 'UInt64'],
];

test('encodes each type little-endian in column order', () => {
  const buf = encodeRowBinary(columns, [
    { s: 'ab', f: 5.69, b: 1, u: 258, t: 1_700_000_040, w: 2 ** 40 + 3 },
  ]);
  const f = Buffer.alloc(8);
  f.writeDoubleLE(5.69);
  const expected = Buffer.concat([
    Buffer.from([2, 0x61, 0x62]),
    f,
    Buffer.from([1]),
    Buffer.from([2, 1, 0, 0]),
    Buffer.from(new Uint8Array(new Uint32Array([1_700_000_040]).buffer)),
    Buffer.from([3, 0, 0, 0, 0, 1, 0, 0]),
  ]);
  assert.deepEqual(buf, expected);
});

test('string lengths are LEB128 varints and count UTF-8 bytes', () => {
  const long = 'x'.repeat(200);
  const buf = encodeRowBinary([['s', 'String']], [{ s: long }, { s: 'é' }]);
  assert.deepEqual([...buf.subarray(0, 2)], [0xc8, 0x01]);
  assert.equal(buf.length, 2 + 200 + 1 + 2);
  assert.deepEqual([...buf.subarray(202)], [2, 0xc3, 0xa9]);
});

test('many rows back to back; empty input is empty', () => {
  const buf = encodeRowBinary([['u', 'UInt32']], [{ u: 1 }, { u: 2 }]);
  assert.deepEqual([...buf], [1, 0, 0, 0, 2, 0, 0, 0]);
  assert.equal(encodeRowBinary(columns, []).length, 0);
});

test('values a column cannot hold are programming errors', () => {
  assert.throws(() => encodeRowBinary([['b', 'UInt8']], [{ b: 256 }]), /UInt8/);
  assert.throws(() => encodeRowBinary([['u', 'UInt32']], [{ u: -1 }]), RangeError);
  assert.throws(() => encodeRowBinary([['u', 'UInt32']], [{ u: 1.5 }]), RangeError);
  assert.throws(() => encodeRowBinary([['w', 'UInt64']], [{ w: 2 ** 60 }]), RangeError);
  assert.throws(() => encodeRowBinary([['s', 'String']], [{ s: 5 }]), TypeError);
  assert.throws(() => encodeRowBinary([['f', 'Float64']], [{}]), /column f/);
});
