import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageIdDataSpec, MessageMetadataSpec, KeyValueSpec } from './commands.ts';
import { ProtocolError, Reader, Writer, decodeMessage, encodeMessage } from './protobuf.ts';
import { Random, randomMessage } from '../testing/random.ts';

test('varints round-trip at the 32- and 64-bit edges', () => {
  const values = [0n, 1n, 127n, 128n, 300n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
  for (const v of values) {
    const w = new Writer(1);
    w.varint64(v);
    const buf = w.finish();
    assert.equal(new Reader(buf).varint64(), v);
  }
});

test('negative int32 is written as a 10-byte varint and read back', () => {
  const w = new Writer();
  w.int32(-1);
  const buf = w.finish();
  assert.equal(buf.length, 10);
  assert.equal(new Reader(buf).varint32() | 0, -1);
});

test('known encoding of MessageIdData (required zeros are written)', () => {
  const buf = encodeMessage(MessageIdDataSpec, { ledgerId: 0n, entryId: 0n });
  assert.deepEqual([...buf], [0x08, 0x00, 0x10, 0x00]);
  const withPartition = encodeMessage(MessageIdDataSpec, {
    ledgerId: 5n,
    entryId: 7n,
    partition: -1,
  });
  const decoded = decodeMessage(MessageIdDataSpec, withPartition);
  assert.equal(decoded.partition, -1);
  assert.equal(decoded.ledgerId, 5n);
});

test('encoding without a required field fails clearly', () => {
  assert.throws(() => encodeMessage(KeyValueSpec, { key: 'k' }), /KeyValue.value is required/);
});

test('decoding a message missing a required field raises ProtocolError', () => {
  const buf = encodeMessage(KeyValueSpec, { key: 'k', value: 'v' }).subarray(0, 3);
  assert.throws(() => decodeMessage(KeyValueSpec, buf), ProtocolError);
});

test('packed repeated int64 is accepted', () => {
  // field 5 (ack_set), wire type 2, 2 bytes: values 1 and 2
  const buf = Buffer.concat([
    encodeMessage(MessageIdDataSpec, { ledgerId: 1n, entryId: 2n }),
    Buffer.from([0x2a, 2, 1, 2]),
  ]);
  assert.deepEqual(decodeMessage(MessageIdDataSpec, buf).ack_set, [1n, 2n]);
});

test('unknown fields are skipped', () => {
  const buf = Buffer.concat([
    encodeMessage(KeyValueSpec, { key: 'a', value: 'b' }),
    Buffer.from([0x78, 0x05, 0x82, 0x01, 0x02, 0x68, 0x69]), // field 15 varint, field 16 bytes
  ]);
  assert.deepEqual(decodeMessage(KeyValueSpec, buf), { key: 'a', value: 'b' });
});

test('property: random MessageMetadata round-trips (seeded)', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = new Random(seed);
    const msg = randomMessage(rnd, MessageMetadataSpec);
    const decoded = decodeMessage(MessageMetadataSpec, encodeMessage(MessageMetadataSpec, msg));
    assert.deepStrictEqual(decoded, msg, `seed ${seed}`);
  }
});

test('property: random bytes never crash the decoder (only ProtocolError)', () => {
  for (let seed = 1; seed <= 2000; seed++) {
    const rnd = new Random(seed);
    const buf = rnd.bytes(64);
    try {
      decodeMessage(MessageMetadataSpec, buf);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `seed ${seed}: ${String(err)}`);
    }
  }
});
