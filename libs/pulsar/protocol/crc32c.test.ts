import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from './crc32c.ts';
import { Random } from '../testing/random.ts';

test('crc32c check value of "123456789" is 0xE3069283', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test('crc32c of empty input is 0 and of 32 zero bytes is 0x8A9136AA (RFC 3720)', () => {
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
});

test('crc32c can be computed in pieces', () => {
  const rnd = new Random(7);
  for (let i = 0; i < 50; i++) {
    const data = rnd.bytes(300);
    const cut = rnd.int(data.length + 1);
    assert.equal(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), crc32c(data));
  }
});
