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

test('property: compareSerialized orders serialized ids as compare() orders parsed ones', () => {
  const rnd = new Random(4242);
  const pick = (values: readonly bigint[]): bigint => values[rnd.int(values.length)]!;
  const big = [-1n, 0n, 1n, 7n, 10n, 99n, 2n ** 53n + 1n, 2n ** 63n - 1n, 123_456_789_012_345n];
  const id = (): MessageId =>
    new MessageId(pick(big), pick(big), rnd.int(4) - 1, rnd.int(5) - 1, rnd.int(3) * 5);
  // The text forms a user or an older build may have stored, besides serialize().
  const forms = (m: MessageId): string[] => {
    const full = m.serialize();
    const parts = full.split(':');
    const out = [full];
    if (m.batchSize === 0) out.push(parts.slice(0, 4).join(':'));
    if (m.batchIndex === -1 && m.batchSize === 0) out.push(parts.slice(0, 3).join(':'));
    if (m.partition === -1 && m.batchIndex === -1 && m.batchSize === 0) {
      out.push(parts.slice(0, 2).join(':'));
    }
    return out;
  };
  for (let i = 0; i < 5000; i++) {
    const a = id();
    const b = rnd.int(4) === 0 ? a : id();
    const expected = a.compare(b);
    for (const ta of forms(a)) {
      for (const tb of forms(b)) {
        assert.equal(MessageId.compareSerialized(ta, tb), expected, `${ta} vs ${tb}`);
      }
    }
  }
});

test('compareSerialized refuses malformed ids as parse() does', () => {
  for (const bad of ['', '1', '1:', '1:2:', 'a:2', '1:2:x', '1:2:3:4:5:6', '1:2:3:4:5x', '1::2']) {
    assert.throws(() => MessageId.compareSerialized(bad, '1:2'), /cannot parse message id/, bad);
    assert.throws(() => MessageId.compareSerialized('1:2', bad), /cannot parse message id/, bad);
  }
});
