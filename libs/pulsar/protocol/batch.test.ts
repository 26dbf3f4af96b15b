import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../testing/random.ts';
import { decodeBatch, encodeBatch, encodeBatchItem, type BatchInput } from './batch.ts';

function reference(items: BatchInput[], first: number): Buffer {
  return Buffer.concat(
    items.map((m, i) => {
      const ms = m.eventTime instanceof Date ? m.eventTime.getTime() : m.eventTime;
      return encodeBatchItem(
        {
          properties: Object.entries(m.properties ?? {}).map(([key, value]) => ({ key, value })),
          ...(m.key !== undefined ? { partition_key: m.key } : {}),
          ...(ms !== undefined && ms > 0 ? { event_time: BigInt(Math.floor(ms)) } : {}),
          ...(m.orderingKey ? { ordering_key: m.orderingKey } : {}),
          sequence_id: BigInt(first + i),
        },
        m.payload,
      );
    }),
  );
}

function text(rnd: Random, max: number): string {
  const alphabet = ['a', 'Z', '7', '_', 'ü', '✓', '😀', ' ', '"'];
  return Array.from({ length: rnd.int(max) }, () => alphabet[rnd.int(alphabet.length)]).join('');
}

test('property: encodeBatch writes the same bytes as encodeBatchItem (seeded)', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = new Random(seed);
    const items: BatchInput[] = Array.from({ length: 1 + rnd.int(20) }, () => {
      const m: BatchInput = { payload: rnd.bytes(rnd.int(rnd.bool() ? 300 : 20_000)) };
      if (rnd.bool()) m.key = text(rnd, rnd.bool() ? 10 : 200);
      if (rnd.bool()) {
        m.properties = {};
        for (let i = rnd.int(4); i > 0; i--) m.properties[text(rnd, 30)] = text(rnd, 90);
      }
      if (rnd.bool()) m.eventTime = rnd.bool() ? 1_700_000_000_000 + rnd.int(1e9) : new Date(5);
      if (rnd.bool()) m.orderingKey = rnd.bytes(rnd.int(8));
      return m;
    });
    const first = rnd.bool() ? rnd.int(1000) : Number.MAX_SAFE_INTEGER - 100;
    const fast = encodeBatch(items, first);
    assert.deepEqual(fast, reference(items, first), `seed ${seed}`);
    const decoded = decodeBatch(fast, items.length);
    decoded.forEach((d, i) => assert.deepEqual(d.payload, items[i]!.payload));
  }
});

test('encodeBatch returns a copy: the next batch does not overwrite the last', () => {
  const a = encodeBatch([{ payload: Buffer.from('first') }], 0);
  const before = Buffer.from(a);
  encodeBatch([{ payload: Buffer.from('second!') }], 1);
  assert.deepEqual(a, before);
});
