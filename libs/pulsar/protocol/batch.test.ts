import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../testing/random.ts';
import { decodeBatch, encodeBatch, encodeBatchItem, type BatchInput } from './batch.ts';
import { SingleMessageMetadataSpec, type SingleMessageMetadata } from './commands.ts';
import { ProtocolError, decodeMessage } from './protobuf.ts';

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

/** Random metadata over every SingleMessageMetadata field, unused ones included. */
function randomMetadata(rnd: Random): Omit<SingleMessageMetadata, 'payload_size'> {
  const m: Omit<SingleMessageMetadata, 'payload_size'> = {};
  if (rnd.bool()) {
    m.properties = Array.from({ length: rnd.int(5) }, () => ({
      key: text(rnd, 20),
      value: text(rnd, 60),
    }));
  }
  if (rnd.bool()) m.partition_key = text(rnd, 40);
  if (rnd.bool()) m.compacted_out = rnd.bool();
  if (rnd.bool()) m.event_time = rnd.bool() ? 0n : BigInt(1_700_000_000_000 + rnd.int(1e9));
  if (rnd.bool()) m.partition_key_b64_encoded = rnd.bool();
  if (rnd.bool()) m.ordering_key = rnd.bytes(rnd.int(10));
  if (rnd.bool()) m.sequence_id = rnd.bool() ? BigInt(rnd.int(1e6)) : (1n << 63n) + 5n;
  if (rnd.bool()) m.null_value = rnd.bool();
  if (rnd.bool()) m.null_partition_key = rnd.bool();
  return m;
}

test('property: decodeBatch reads what the generic protobuf decoder reads (seeded)', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const rnd = new Random(seed);
    const metas = Array.from({ length: 1 + rnd.int(8) }, () => randomMetadata(rnd));
    const payloads = metas.map(() => rnd.bytes(rnd.int(200)));
    const data = Buffer.concat(metas.map((m, i) => encodeBatchItem(m, payloads[i]!)));
    const got = decodeBatch(data, metas.length);
    let p = 0;
    got.forEach((item, i) => {
      const size = data.readUInt32BE(p);
      const ref = decodeMessage(
        SingleMessageMetadataSpec,
        data,
        p + 4,
        p + 4 + size,
      ) as unknown as SingleMessageMetadata;
      p += 4 + size + ref.payload_size;
      const properties: Record<string, string> = {};
      for (const { key, value } of ref.properties ?? []) properties[key] = value;
      assert.deepEqual(
        item,
        {
          payload: payloads[i],
          properties,
          partitionKey: ref.partition_key,
          eventTime: ref.event_time ? Number(ref.event_time) : undefined,
          sequenceId: ref.sequence_id,
          orderingKey: ref.ordering_key,
          compactedOut: ref.compacted_out ?? false,
        },
        `seed ${seed} message ${i}`,
      );
    });
  }
});

test('property: corrupt batches give ProtocolError or a decode, never a crash (seeded)', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const rnd = new Random(seed);
    const metas = Array.from({ length: 1 + rnd.int(4) }, () => randomMetadata(rnd));
    const good = Buffer.concat(metas.map((m) => encodeBatchItem(m, rnd.bytes(rnd.int(50)))));
    const bad = rnd.bool() ? Buffer.from(good) : good.subarray(0, rnd.int(good.length));
    for (let k = 1 + rnd.int(3); k > 0 && bad.length > 0; k--)
      bad[rnd.int(bad.length)] ^= 1 + rnd.int(255);
    try {
      decodeBatch(bad, metas.length);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `seed ${seed}: ${String(err)}`);
    }
  }
});

test('a batch message without payload_size is refused with the field named', () => {
  const meta = Buffer.from([0x12, 0x01, 0x6b]); // partition_key "k", no payload_size
  const data = Buffer.concat([Buffer.from([0, 0, 0, meta.length]), meta]);
  assert.throws(() => decodeBatch(data, 1), /required field payload_size is missing/);
});

test('a batch count the bytes cannot hold is refused before any item is built', () => {
  const data = encodeBatchItem({}, Buffer.from('x'));
  assert.equal(decodeBatch(data, 1).length, 1);
  for (const count of [2 ** 31 - 1, 2 ** 32, 0, -1, 1.5]) {
    assert.throws(() => decodeBatch(data, count), /batch declares/);
  }
});
