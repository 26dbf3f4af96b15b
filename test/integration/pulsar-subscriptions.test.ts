// Subscription types and positioning against the real broker: Failover active-consumer
// events, Shared and Key_Shared dispatch, negative acks, seek, readers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MessageId,
  PulsarAdmin,
  PulsarClient,
  type ActiveChangeEvent,
  type Consumer,
  type Message,
} from '../../libs/pulsar/index.ts';
import {
  PULSAR_ADMIN_URL,
  eventually,
  uniqueName,
  uniqueTopic,
  stackClient,
} from '../support/pulsar.ts';
import { auth } from '../support/stack.ts';

async function drain(consumer: Consumer, quietMs = 700): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const batch = await consumer.receiveBatch(100, quietMs);
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

describe('pulsar subscriptions', () => {
  let client: PulsarClient;
  const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: PULSAR_ADMIN_URL });
  before(() => {
    client = stackClient();
  });
  after(() => client.close());

  test('Failover: each partition has one active consumer; events move when one leaves', async () => {
    const topic = uniqueTopic('failover');
    await admin.createPartitionedTopic(topic, 4);
    const events: Record<string, ActiveChangeEvent[]> = { a: [], b: [] };
    const a = await client.subscribe({
      topic,
      subscription: 'fo',
      type: 'Failover',
      consumerName: 'a',
    });
    a.on('activeChange', (e) => events.a!.push(e));
    const b = await client.subscribe({
      topic,
      subscription: 'fo',
      type: 'Failover',
      consumerName: 'b',
    });
    b.on('activeChange', (e) => events.b!.push(e));
    const activeOf = (list: ActiveChangeEvent[]): Set<number> => {
      const state = new Map<number, boolean>();
      for (const e of list) state.set(e.partition, e.active);
      return new Set([...state].filter(([, v]) => v).map(([p]) => p));
    };
    await eventually(
      () =>
        activeOf(events.a!).size + activeOf(events.b!).size === 4 && activeOf(events.b!).size > 0,
      10_000,
      'both consumers to own partitions',
    );
    const ownedByA = activeOf(events.a!);
    const ownedByB = activeOf(events.b!);
    for (const p of ownedByA) assert.ok(!ownedByB.has(p), `partition ${p} owned twice`);

    // Messages of a partition go to its active consumer only.
    const producer = await client.createProducer({ topic, batching: false });
    const ids = await Promise.all(
      Array.from({ length: 40 }, (_, i) => producer.send({ payload: Buffer.from(String(i)) })),
    );
    assert.equal(ids.length, 40);
    const gotA = await drain(a);
    const gotB = await drain(b);
    assert.equal(gotA.length + gotB.length, 40);
    for (const m of gotA) assert.ok(ownedByA.has(m.messageId.partition));
    for (const m of gotB) assert.ok(ownedByB.has(m.messageId.partition));
    for (const m of gotA) await a.ack(m);
    for (const m of gotB) await b.ack(m);

    await b.close();
    await eventually(
      () => activeOf(events.a!).size === 4,
      10_000,
      'a to take over every partition',
    );
    await a.close();
    await producer.close();
  });

  test('Shared: two consumers split the messages; nothing is lost or duplicated', async () => {
    const topic = uniqueTopic('shared');
    const a = await client.subscribe({
      topic,
      subscription: 'sh',
      type: 'Shared',
      receiverQueueSize: 10,
    });
    const b = await client.subscribe({
      topic,
      subscription: 'sh',
      type: 'Shared',
      receiverQueueSize: 10,
    });
    const producer = await client.createProducer({ topic, batching: false });
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => producer.send({ payload: Buffer.from(String(i)) })),
    );
    const [gotA, gotB] = await Promise.all([drain(a), drain(b)]);
    assert.ok(gotA.length > 0 && gotB.length > 0, `split ${gotA.length}/${gotB.length}`);
    const all = [...gotA, ...gotB].map((m) => Number(m.payload.toString())).sort((x, y) => x - y);
    assert.deepEqual(
      all,
      Array.from({ length: 100 }, (_, i) => i),
    );
    await a.close();
    await b.close();
    await producer.close();
  });

  test('Key_Shared: every key is delivered to a single consumer', async () => {
    const topic = uniqueTopic('keyshared');
    const a = await client.subscribe({ topic, subscription: 'ks', type: 'Key_Shared' });
    const b = await client.subscribe({ topic, subscription: 'ks', type: 'Key_Shared' });
    const producer = await client.createProducer({
      topic,
      batching: { keyBased: true, maxDelayMs: 5 },
    });
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        producer.send({ payload: Buffer.from(String(i)), key: `device-${i % 20}` }),
      ),
    );
    const [gotA, gotB] = await Promise.all([drain(a), drain(b)]);
    assert.equal(gotA.length + gotB.length, 200);
    const keysA = new Set(gotA.map((m) => m.key));
    const keysB = new Set(gotB.map((m) => m.key));
    for (const k of keysA) assert.ok(!keysB.has(k), `key ${k} went to both consumers`);
    assert.ok(keysA.size > 0 && keysB.size > 0, 'both consumers got keys');
    // per key, order is kept
    for (const list of [gotA, gotB]) {
      const last = new Map<string, number>();
      for (const m of list) {
        const n = Number(m.payload.toString());
        assert.ok((last.get(m.key!) ?? -1) < n, `order of ${m.key}`);
        last.set(m.key!, n);
      }
    }
    await a.close();
    await b.close();
    await producer.close();
  });

  test('negativeAck redelivers (Shared: just that message, with a redelivery count)', async () => {
    const topic = uniqueTopic('nack');
    const consumer = await client.subscribe({
      topic,
      subscription: 'n',
      type: 'Shared',
      nackRedeliveryDelayMs: 200,
      initialPosition: 'Earliest',
    });
    const producer = await client.createProducer({ topic, batching: false });
    for (let i = 0; i < 3; i++) await producer.send({ payload: Buffer.from(String(i)) });
    const first = await consumer.receiveBatch(3, 3000);
    assert.equal(first.length, 3);
    await consumer.ack(first[0]!);
    await consumer.ack(first[2]!);
    consumer.negativeAck(first[1]!);
    const again = await consumer.receive(5000);
    assert.equal(again.payload.toString(), '1');
    assert.equal(again.redeliveryCount, 1);
    await consumer.ack(again);
    assert.deepEqual(await consumer.receiveBatch(10, 600), []);
    await consumer.close();
  });

  test('negativeAck on Exclusive rewinds to the unacked messages', async () => {
    const topic = uniqueTopic('nackex');
    const consumer = await client.subscribe({
      topic,
      subscription: 'n',
      nackRedeliveryDelayMs: 100,
      initialPosition: 'Earliest',
    });
    const producer = await client.createProducer({ topic, batching: { maxMessages: 2 } });
    await Promise.all(
      Array.from({ length: 4 }, (_, i) => producer.send({ payload: Buffer.from(String(i)) })),
    );
    const first = await consumer.receiveBatch(4, 3000);
    assert.equal(first.length, 4);
    await consumer.ack(first[0]!);
    await consumer.ack(first[1]!);
    consumer.negativeAck(first[2]!);
    const again = await consumer.receiveBatch(2, 5000);
    assert.deepEqual(
      again.map((m) => m.payload.toString()),
      ['2', '3'],
    );
    await consumer.close();
  });

  test('seek by message id and by timestamp replays from there', async () => {
    const topic = uniqueTopic('seek');
    const consumer = await client.subscribe({
      topic,
      subscription: uniqueName('s'),
      initialPosition: 'Earliest',
    });
    const producer = await client.createProducer({ topic, batching: false });
    const ids: MessageId[] = [];
    for (let i = 0; i < 10; i++) ids.push(await producer.send({ payload: Buffer.from(String(i)) }));
    const all = await consumer.receiveBatch(10, 3000);
    assert.equal(all.length, 10);
    for (const m of all) await consumer.ack(m);

    await consumer.seek(ids[4]!);
    const fromFour = await consumer.receiveBatch(6, 5000);
    assert.deepEqual(
      fromFour.map((m) => m.payload.toString()),
      ['4', '5', '6', '7', '8', '9'],
    );

    await consumer.seek(all[7]!.publishTime);
    const fromTime = await consumer.receiveBatch(3, 5000);
    assert.equal(fromTime[0]!.payload.toString(), '7');

    await consumer.seek(MessageId.earliest);
    const fromStart = await consumer.receiveBatch(10, 5000);
    assert.equal(fromStart.length, 10);
    assert.equal(fromStart[0]!.payload.toString(), '0');
    await consumer.close();
  });

  test('readers start at earliest, after an id, or at an id inclusive (batched too)', async () => {
    const topic = uniqueTopic('reader');
    const producer = await client.createProducer({
      topic,
      batching: { maxMessages: 4, maxDelayMs: 5 },
    });
    const ids = await Promise.all(
      Array.from({ length: 12 }, (_, i) => producer.send({ payload: Buffer.from(String(i)) })),
    );
    const read = async (start: MessageId, inclusive: boolean, n: number): Promise<string[]> => {
      const reader = await client.createReader({
        topic,
        startMessageId: start,
        startMessageIdInclusive: inclusive,
      });
      const got = await reader.receiveBatch(n, 3000);
      const more = await reader.receiveBatch(1, 300);
      await reader.close();
      return [...got, ...more].map((m) => m.payload.toString());
    };
    assert.deepEqual(
      await read(MessageId.earliest, false, 12),
      ids.map((_, i) => String(i)),
    );
    assert.deepEqual(await read(ids[5]!, false, 6), ['6', '7', '8', '9', '10', '11']);
    assert.deepEqual(await read(ids[5]!, true, 7), ['5', '6', '7', '8', '9', '10', '11']);
    assert.deepEqual(await read(MessageId.latest, false, 1), []);

    const reader = await client.createReader({ topic, startMessageId: MessageId.earliest });
    assert.equal(await reader.hasMessageAvailable(), true);
    await reader.receiveBatch(12, 3000);
    assert.equal(await reader.hasMessageAvailable(), false);
    await reader.close();
    await producer.close();
  });
});
