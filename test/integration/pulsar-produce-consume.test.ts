// Round trips against the real broker: batching on/off, every compression codec this Node
// supports, message fields, receiveBatch/iteration, acks surviving a reconnect.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MessageId,
  MessageTooLargeError,
  PulsarClient,
  type CompressionName,
} from '../../libs/pulsar/index.ts';
import { uniqueName, uniqueTopic, stackClient } from '../support/pulsar.ts';

describe('pulsar produce/consume', () => {
  let client: PulsarClient;
  before(() => {
    client = stackClient();
  });
  after(() => client.close());

  async function roundTrip(
    compression: CompressionName,
    batching: boolean,
    count: number,
  ): Promise<void> {
    const topic = uniqueTopic(`rt-${compression}-${batching ? 'b' : 'nb'}`);
    const consumer = await client.subscribe({
      topic,
      subscription: 'rt',
      initialPosition: 'Earliest',
      receiverQueueSize: 50,
    });
    const producer = await client.createProducer({
      topic,
      compression,
      batching: batching ? { maxMessages: 20, maxDelayMs: 5 } : false,
    });
    const sent = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        producer.send({
          payload: Buffer.from(`{"n":${i},"pad":"${'x'.repeat(i % 50)}"}`),
          key: `key-${i % 7}`,
          properties: { n: String(i), codec: compression },
          eventTime: 1_700_000_000_000 + i,
        }),
      ),
    );
    assert.equal(new Set(sent.map((id) => id.serialize())).size, count, 'distinct message ids');
    if (batching)
      assert.ok(
        sent.some((id) => id.batchIndex > 0),
        'some messages were batched',
      );
    else
      assert.ok(
        sent.every((id) => id.batchIndex === -1),
        'no batch indexes without batching',
      );

    const received = [];
    while (received.length < count) {
      const batch = await consumer.receiveBatch(Math.min(50, count - received.length), 2000);
      assert.ok(batch.length > 0, `stalled after ${received.length}/${count} messages`);
      received.push(...batch);
      for (const m of batch) await consumer.ack(m);
    }
    received.forEach((m, i) => {
      assert.equal(JSON.parse(m.payload.toString()).n, i, 'order and payload');
      assert.equal(m.key, `key-${i % 7}`);
      assert.deepEqual(m.properties, { n: String(i), codec: compression });
      assert.equal(m.eventTime, 1_700_000_000_000 + i);
      assert.ok(m.publishTime > Date.now() - 60_000);
      assert.equal(m.messageId.serialize(), sent[i]!.serialize());
      assert.equal(m.topic, topic);
      assert.equal(m.redeliveryCount, 0);
    });
    await producer.close();
    await consumer.close();
  }

  // 300 messages with a queue of 50 also proves FLOW permits are re-granted with batches.
  for (const compression of ['none', 'lz4', 'zlib', 'snappy', 'zstd'] as const) {
    test(`round trip, batched, ${compression}`, () => roundTrip(compression, true, 300));
  }
  test('round trip, not batched, lz4', () => roundTrip('lz4', false, 120));
  test('round trip, not batched, none', () => roundTrip('none', false, 120));

  test('async iterator yields messages in order', async () => {
    const topic = uniqueTopic('iter');
    const consumer = await client.subscribe({
      topic,
      subscription: 'it',
      initialPosition: 'Earliest',
    });
    const producer = await client.createProducer({ topic });
    for (let i = 0; i < 10; i++) void producer.send({ payload: Buffer.from(String(i)) });
    await producer.flush();
    const seen: string[] = [];
    for await (const m of consumer) {
      seen.push(m.payload.toString());
      await consumer.ack(m);
      if (seen.length === 10) break;
    }
    assert.deepEqual(seen, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    await consumer.close();
  });

  test('acked messages are not redelivered after the consumer reconnects; unacked are', async () => {
    const topic = uniqueTopic('ack');
    const sub = uniqueName('sub');
    const producer = await client.createProducer({ topic, batching: { maxMessages: 5 } });
    let consumer = await client.subscribe({
      topic,
      subscription: sub,
      initialPosition: 'Earliest',
      ackGroupTimeMs: 10,
    });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => producer.send({ payload: Buffer.from(String(i)) })),
    );
    const first = await consumer.receiveBatch(20, 3000);
    assert.equal(first.length, 20);
    // ack 0..14 (three full batches) and, from the last batch, only 15..17
    for (const m of first.slice(0, 18)) await consumer.ack(m);
    await consumer.close();
    consumer = await client.subscribe({ topic, subscription: sub, initialPosition: 'Earliest' });
    const again = await consumer.receiveBatch(20, 1500);
    const payloads = again.map((m) => Number(m.payload.toString()));
    // The partly acked last batch comes back: whole (no batch-index acks) or just 18, 19.
    assert.ok(payloads.includes(18) && payloads.includes(19), `got ${payloads}`);
    assert.ok(
      payloads.every((n) => n >= 15),
      `fully acked batches came back: ${payloads}`,
    );
    await consumer.close();
    await producer.close();
  });

  test('getLastMessageId matches the last send', async () => {
    const topic = uniqueTopic('last');
    const producer = await client.createProducer({ topic, batching: false });
    const consumer = await client.subscribe({ topic, subscription: 'l' });
    let last: MessageId | undefined;
    for (let i = 0; i < 3; i++) last = await producer.send({ payload: Buffer.from('x') });
    const reported = await consumer.getLastMessageId();
    assert.equal(reported.ledgerId, last!.ledgerId);
    assert.equal(reported.entryId, last!.entryId);
    await consumer.close();
  });

  test('a message above maxMessageSize is rejected before sending', async () => {
    const producer = await client.createProducer({ topic: uniqueTopic('big'), batching: false });
    await assert.rejects(
      producer.send({ payload: Buffer.alloc(6 * 1024 * 1024) }),
      MessageTooLargeError,
    );
    await producer.close();
  });

  test('a bounded queue rejects when full, or waits with blockIfQueueFull', async () => {
    const topic = uniqueTopic('queue');
    const strict = await client.createProducer({
      topic,
      maxPendingMessages: 5,
      batching: { maxMessages: 1000, maxDelayMs: 200 },
    });
    const accepted = Array.from({ length: 5 }, () => strict.send({ payload: Buffer.from('a') }));
    await assert.rejects(strict.send({ payload: Buffer.from('b') }), /queue is full/);
    await Promise.all(accepted);
    const blocking = await client.createProducer({
      topic,
      maxPendingMessages: 3,
      blockIfQueueFull: true,
    });
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) => blocking.send({ payload: Buffer.from(String(i)) })),
    );
    const sorted = [...ids].sort((a, b) => a.compare(b));
    assert.deepEqual(ids.map(String), sorted.map(String), 'order kept while blocking');
    await strict.close();
    await blocking.close();
  });
  // The broker charges a permit per message but sends a whole entry per permit it holds, so
  // a queue of N permits used to fill with N batches (N × 100 messages here): an aggregator
  // held 200,000 messages (≈ 160 MB) behind a receiverQueueSize of 5,000.
  for (const batch of [100, 1]) {
    test(`receiverQueueSize bounds the queued messages, entries of ${batch} message(s)`, async () => {
      const topic = uniqueTopic(`flow-${batch}`);
      const queueSize = 100;
      const consumer = await client.subscribe({
        topic,
        subscription: 'flow',
        type: 'Failover',
        initialPosition: 'Earliest',
        receiverQueueSize: queueSize,
      });
      const producer = await client.createProducer({
        topic,
        batching: batch > 1 ? { maxMessages: batch, maxBytes: 1 << 20, maxDelayMs: 20 } : false,
      });
      const total = 5_000;
      await Promise.all(
        Array.from({ length: total }, (_, i) => producer.send({ payload: Buffer.from(String(i)) })),
      );
      await new Promise((r) => setTimeout(r, 1_000));
      // At most the queue plus the one entry that may straddle it.
      assert.ok(
        consumer.queuedMessages <= queueSize + batch,
        `${consumer.queuedMessages} queued with receiverQueueSize ${queueSize}`,
      );
      // And the permits keep coming: everything arrives, in order, while the bound holds.
      let next = 0;
      let maxQueued = 0;
      while (next < total) {
        const got = await consumer.receiveBatch(37, 2_000);
        assert.ok(got.length > 0, `stalled after ${next} messages`);
        for (const m of got) assert.equal(m.payload.toString(), String(next++));
        maxQueued = Math.max(maxQueued, consumer.queuedMessages);
        await consumer.ackCumulative(got.at(-1)!.messageId);
      }
      assert.ok(maxQueued <= queueSize + batch, `up to ${maxQueued} queued`);
      await producer.close();
      await consumer.close();
    });
  }
});
