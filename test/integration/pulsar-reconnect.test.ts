// Recovery and deduplication against the real broker: a topic unloaded through the admin
// API while producing and consuming, broker-side dedup of resent sequence ids, and
// sequence ids resumed from PRODUCER_SUCCESS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarAdmin, PulsarClient, type Message } from '../../libs/pulsar/index.ts';
import type { ConnectionPool } from '../../libs/pulsar/connection-pool.ts';
import {
  PULSAR_ADMIN_URL,
  readAllPayloads,
  resendAs,
  uniqueName,
  uniqueTopic,
  withTimeout,
  stackClient,
} from '../support/pulsar.ts';
import { auth } from '../support/stack.ts';

describe('pulsar reconnection and deduplication', () => {
  let client: PulsarClient;
  const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: PULSAR_ADMIN_URL });
  before(() => {
    client = stackClient();
  });
  after(() => client.close());

  test('topic unload mid-stream: producer and consumer recover, nothing lost', async () => {
    const topic = uniqueTopic('unload');
    const consumer = await client.subscribe({
      topic,
      subscription: 'u',
      initialPosition: 'Earliest',
      ackGroupTimeMs: 10,
    });
    const producer = await client.createProducer({
      topic,
      batching: { maxMessages: 10, maxDelayMs: 5 },
    });
    const total = 600;
    const received = new Set<number>();
    let consuming = true;
    const loop = (async () => {
      while (consuming || received.size < total) {
        const batch: Message[] = await consumer.receiveBatch(100, 200);
        for (const m of batch) {
          received.add(Number(m.payload.toString()));
          await consumer.ack(m);
        }
        if (!consuming && batch.length === 0 && received.size >= total) break;
      }
    })();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      sends.push(producer.send({ payload: Buffer.from(String(i)) }));
      if (i === 200 || i === 400) {
        await producer.flush();
        await admin.unloadTopic(topic);
      }
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const ids = await Promise.all(sends);
    assert.equal(ids.length, total);
    consuming = false;
    await withTimeout(loop, 20_000, `receiving (${received.size}/${total} so far)`);
    for (let i = 0; i < total; i++) assert.ok(received.has(i), `message ${i} lost`);
    await producer.close();
    await consumer.close();
  });

  test('dedup: sequence ids resume from the broker and a resent id is dropped', async () => {
    const topic = uniqueTopic('dedup');
    await admin.createTopic(topic);
    await admin.setTopicDeduplication(topic, true);
    const name = uniqueName('dedup-producer');
    const consumer = await client.subscribe({
      topic,
      subscription: 'd',
      initialPosition: 'Earliest',
    });
    let producer = await client.createProducer({ topic, producerName: name, batching: false });
    for (let i = 0; i < 5; i++) await producer.send({ payload: Buffer.from(`a${i}`) });
    await producer.close();

    // A second session with the same name continues at sequence id 5.
    producer = await client.createProducer({ topic, producerName: name, batching: false });
    await producer.send({ payload: Buffer.from('b0') });
    await producer.close();

    // Replay sequence id 3 under the same producer name, as a reconnecting client would.
    const { lastSequenceId, receiptLedgerId } = await resendAs(topic, name, 3n);
    assert.equal(lastSequenceId, 5n, 'broker remembers the last id');
    assert.equal(receiptLedgerId, -1n, 'duplicate not persisted');

    const got = await consumer.receiveBatch(10, 1500);
    assert.deepEqual(
      got.map((m) => m.payload.toString()),
      ['a0', 'a1', 'a2', 'a3', 'a4', 'b0'],
    );
    assert.deepEqual(
      got.map((m) => m.sequenceId),
      [0n, 1n, 2n, 3n, 4n, 5n],
    );
    await consumer.close();
  });

  test('connections dropped mid-stream (as in a broker restart): resend in order, dedup, no loss', async () => {
    const topic = uniqueTopic('drop');
    await admin.createTopic(topic);
    await admin.setTopicDeduplication(topic, true);
    const dropClient = stackClient();
    // Reach the pool to cut every TCP connection, as a broker restart would.
    const pool = (dropClient as unknown as { pool: ConnectionPool }).pool;
    const consumer = await dropClient.subscribe({
      topic,
      subscription: 'd',
      initialPosition: 'Earliest',
      ackGroupTimeMs: 10,
    });
    const producer = await dropClient.createProducer({
      topic,
      producerName: uniqueName('drop'),
      batching: { maxMessages: 10, maxDelayMs: 2 },
      sendTimeoutMs: 0,
    });
    const total = 500;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      sends.push(producer.send({ payload: Buffer.from(String(i)) }));
      if (i === 150 || i === 350) await pool.dropAll();
      if (i % 25 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await withTimeout(Promise.all(sends), 30_000, 'sends after connection drops');
    const seen: number[] = [];
    const deadline = Date.now() + 20_000;
    while (new Set(seen).size < total && Date.now() < deadline) {
      const batch = await consumer.receiveBatch(200, 300);
      for (const m of batch) {
        seen.push(Number(m.payload.toString()));
        await consumer.ack(m);
      }
    }
    const distinct = new Set(seen);
    for (let i = 0; i < total; i++) assert.ok(distinct.has(i), `message ${i} lost`);
    // The topic itself holds each message once, in order: the broker dropped resent duplicates.
    const stored = (await readAllPayloads(dropClient, topic)).map(Number);
    assert.deepEqual(
      stored,
      Array.from({ length: total }, (_, i) => i),
    );
    await dropClient.close();
  });

  test('a connection to the admin port fails with a clear message', async () => {
    const bad = new PulsarClient({
      ...auth.pulsar,
      serviceUrl: PULSAR_ADMIN_URL.replace('http', 'pulsar'),
      operationTimeoutMs: 3000,
      connectionTimeoutMs: 3000,
    });
    await assert.rejects(
      bad.createProducer({ topic: uniqueTopic('bad') }),
      /binary port|closed|timed out/,
    );
    await bad.close();
  });
});
