// Batch-index acknowledgements against the real broker (the stack's broker runs with
// acknowledgmentAtBatchIndexLevelEnabled=true): with `batchIndexAck`, acking some messages of
// a batch, individually or cumulatively, is stored by the broker, so a new consumer gets only
// the rest of the batch; without it the whole batch comes back. Each case runs both ways.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PulsarAdmin,
  PulsarClient,
  type Consumer,
  type Message,
  type Producer,
} from '../../libs/pulsar/index.ts';
import { PULSAR_ADMIN_URL, uniqueName, uniqueTopic, stackClient } from '../support/pulsar.ts';
import { auth } from '../support/stack.ts';

describe('pulsar batch-index acks', () => {
  let client: PulsarClient;
  const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: PULSAR_ADMIN_URL });
  before(() => {
    client = stackClient();
  });
  after(() => client.close());

  /** Sends `first`..`first + 9` as one batched entry; returns their message ids in order. */
  async function sendBatchOfTen(producer: Producer, first: number): Promise<string[]> {
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        producer.send({ payload: Buffer.from(String(first + i)) }),
      ),
    );
    const entries = new Set(ids.map((id) => `${id.ledgerId}:${id.entryId}`));
    assert.equal(entries.size, 1, 'the ten sends share one entry');
    assert.deepEqual(
      ids.map((id) => id.batchIndex),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    return ids.map((id) => id.serialize());
  }

  async function setUp(type: 'Shared' | 'Exclusive', batchIndexAck: boolean, batches: number) {
    const topic = uniqueTopic('bia');
    const subscription = uniqueName('sub');
    const producer = await client.createProducer({
      topic,
      batching: { maxMessages: 10, maxDelayMs: 1000 },
    });
    const consumer = await client.subscribe({
      topic,
      subscription,
      type,
      initialPosition: 'Earliest',
      ackGroupTimeMs: 10,
      batchIndexAck,
    });
    for (let b = 0; b < batches; b++) await sendBatchOfTen(producer, b * 10);
    const received = await receiveAll(consumer, batches * 10);
    await producer.close();
    return { topic, subscription, consumer, received };
  }

  async function receiveAll(consumer: Consumer, n: number): Promise<Message[]> {
    const out: Message[] = [];
    const deadline = Date.now() + 10_000;
    while (out.length < n && Date.now() < deadline) {
      out.push(...(await consumer.receiveBatch(n - out.length, 500)));
    }
    assert.equal(out.length, n, 'every message delivered');
    return out;
  }

  /** What a fresh consumer on the subscription gets (payloads, in order). */
  async function redelivered(
    topic: string,
    subscription: string,
    type: 'Shared' | 'Exclusive',
  ): Promise<number[]> {
    const again = await client.subscribe({ topic, subscription, type });
    const got: number[] = [];
    for (;;) {
      const batch = await again.receiveBatch(100, 1500);
      if (batch.length === 0) break;
      got.push(...batch.map((m) => Number(m.payload.toString())));
    }
    await again.close();
    return got;
  }

  for (const batchIndexAck of [true, false]) {
    const label = batchIndexAck ? 'on' : 'off';

    test(`individual acks of half a batch (batchIndexAck ${label})`, async () => {
      const { topic, subscription, consumer, received } = await setUp('Shared', batchIndexAck, 1);
      for (const m of received) if (m.messageId.batchIndex % 2 === 0) await consumer.ack(m);
      await consumer.close();
      const got = await redelivered(topic, subscription, 'Shared');
      assert.deepEqual(got, batchIndexAck ? [1, 3, 5, 7, 9] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    test(`cumulative ack inside the second batch (batchIndexAck ${label})`, async () => {
      const { topic, subscription, consumer, received } = await setUp(
        'Exclusive',
        batchIndexAck,
        2,
      );
      await consumer.ackCumulative(received[13]!);
      await consumer.close();
      const got = await redelivered(topic, subscription, 'Exclusive');
      const rest = batchIndexAck
        ? [14, 15, 16, 17, 18, 19]
        : [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
      assert.deepEqual(got, rest);
    });
  }

  test('acks spread over flushes and reconnects complete the entry: backlog 0', async () => {
    const { topic, subscription, consumer, received } = await setUp('Shared', true, 1);
    for (const m of received.slice(0, 4)) await consumer.ack(m);
    await consumer.close();
    // A new consumer gets 4..9 (the broker's ack_set says 0..3 are done); acking them one
    // flush at a time ends with the whole entry acknowledged.
    const next = await client.subscribe({
      topic,
      subscription,
      type: 'Shared',
      ackGroupTimeMs: 0,
      batchIndexAck: true,
    });
    const rest = await receiveAll(next, 6);
    assert.deepEqual(
      rest.map((m) => Number(m.payload.toString())),
      [4, 5, 6, 7, 8, 9],
    );
    for (const m of rest) await next.ack(m);
    await next.close();
    const deadline = Date.now() + 5000;
    let backlog: number | undefined;
    while (Date.now() < deadline) {
      backlog = (await admin.getTopicStats(topic)).subscriptions[subscription]?.msgBacklog;
      if (backlog === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(backlog, 0, 'nothing left in the subscription');
    assert.deepEqual(await redelivered(topic, subscription, 'Shared'), []);
  });
});
