import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageId } from './message-id.ts';
import { Random } from './testing/random.ts';

test('serialize/parse round-trips as string and Buffer', () => {
  const rnd = new Random(3);
  for (let i = 0; i < 200; i++) {
    const id = new MessageId(
      BigInt.asIntN(64, rnd.uint64()),
      BigInt.asIntN(64, rnd.uint64()),
      rnd.int(10) - 1,
      rnd.int(10) - 1,
      rnd.int(10),
    );
    assert.deepEqual(MessageId.parse(id.serialize()), id);
    assert.deepEqual(MessageId.parse(id.toBuffer()), id);
  }
  assert.deepEqual(MessageId.parse(MessageId.earliest.toBuffer()), MessageId.earliest);
  assert.deepEqual(MessageId.parse(MessageId.latest.serialize()), MessageId.latest);
});

test('compare orders by ledger, entry, partition, batch index', () => {
  const a = new MessageId(1n, 5n, 0, 2, 4);
  assert.equal(a.compare(new MessageId(1n, 5n, 0, 3, 4)), -1);
  assert.equal(a.compare(new MessageId(1n, 4n, 0, 9, 10)), 1);
  assert.equal(a.compare(new MessageId(2n, 0n)), -1);
  assert.equal(a.compare(new MessageId(1n, 5n, 0, 2, 4)), 0);
  assert.equal(MessageId.earliest.compare(a), -1);
  assert.equal(MessageId.latest.compare(a), 1);
  assert.equal(new MessageId(1n, 5n, 0).compare(a), -1);
});

test('parse rejects garbage with a clear message', () => {
  assert.throws(() => MessageId.parse('abc'), /expected ledger:entry/);
  assert.throws(() => MessageId.parse('1'), /expected ledger:entry/);
  for (const bad of ['1:2:3:4:5:6', '1:2:', ':1:2', '1::2', '1:2:x', ' 1:2', '1:2\n'])
    assert.throws(() => MessageId.parse(bad), /expected ledger:entry/, JSON.stringify(bad));
  assert.deepEqual(MessageId.parse('7:8:-1'), new MessageId(7n, 8n, -1, -1, 0));
});
