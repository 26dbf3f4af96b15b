import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  javaStringHash,
  murmur3_32,
  murmur3KeyHash,
  partitionForKey,
  signSafeMod,
} from './murmur3.ts';

test('murmur3_32 matches the reference vectors (seed 0 and others)', () => {
  const h = (s: string, seed = 0) => murmur3_32(Buffer.from(s), seed);
  assert.equal(h(''), 0);
  assert.equal(h('', 1), 0x514e28b7);
  assert.equal(h('', 0xffffffff), 0x81f16f39);
  assert.equal(murmur3_32(Buffer.from([0xff, 0xff, 0xff, 0xff])), 0x76293b50);
  assert.equal(murmur3_32(Buffer.from([0x21, 0x43, 0x65, 0x87])), 0xf55b516b);
  assert.equal(murmur3_32(Buffer.from([0x21, 0x43, 0x65])), 0x7e4a8634);
  assert.equal(murmur3_32(Buffer.from([0x21, 0x43])), 0xa0f7b07a);
  assert.equal(murmur3_32(Buffer.from([0x21])), 0x72661cf4);
  assert.equal(h('hello'), 0x248bfa47);
  assert.equal(h('The quick brown fox jumps over the lazy dog'), 0x2e4ff723);
});

test('key hash clears the sign bit like Java makeHash', () => {
  // 0xf55b516b has the top bit set
  assert.equal(murmur3KeyHash(Buffer.from([0x21, 0x43, 0x65, 0x87])), 0xf55b516b & 0x7fffffff);
});

test('java String.hashCode', () => {
  assert.equal(javaStringHash('hello'), 99162322);
  assert.equal(javaStringHash(''), 0);
});

test('partitionForKey is stable and in range', () => {
  for (let i = 0; i < 1000; i++) {
    const p = partitionForKey(`sensor_${i}`, 7);
    assert.ok(p >= 0 && p < 7);
    assert.equal(p, murmur3KeyHash(`sensor_${i}`) % 7);
  }
  assert.equal(signSafeMod(-3, 5), 2);
});
