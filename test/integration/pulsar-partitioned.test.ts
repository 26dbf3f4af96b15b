// Partitioned topics: one producer over all partitions with key routing that agrees with
// the Java client's murmur3, a partition addressed by name, and a consumer over all of them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarAdmin, PulsarClient, partitionForKey } from '../../libs/pulsar/index.ts';
import { PULSAR_ADMIN_URL, uniqueTopic, stackClient } from '../support/pulsar.ts';
import { auth } from '../support/stack.ts';

describe('pulsar partitioned topics', () => {
  let client: PulsarClient;
  const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: PULSAR_ADMIN_URL });
  before(() => {
    client = stackClient();
  });
  after(() => client.close());

  test('keyed messages land on partition murmur3(key) % n, read back per partition', async () => {
    const topic = uniqueTopic('part');
    const n = 4;
    await admin.createPartitionedTopic(topic, n);
    assert.equal(await client.getPartitionCount(topic), n);
    const producer = await client.createProducer({ topic, batching: { maxDelayMs: 5 } });
    assert.equal(producer.numPartitions, n);
    const keys = Array.from({ length: 60 }, (_, i) => `sensor_${i * 7919}`);
    const ids = await Promise.all(
      keys.map((key) => producer.send({ payload: Buffer.from(key), key })),
    );
    ids.forEach((id, i) => assert.equal(id.partition, partitionForKey(keys[i]!, n), keys[i]));

    // Each partition, read on its own by name, holds exactly the keys murmur3 assigns to it.
    for (let p = 0; p < n; p++) {
      const consumer = await client.subscribe({
        topic: `${topic}-partition-${p}`,
        subscription: 'check',
        initialPosition: 'Earliest',
      });
      const expected = keys.filter((k) => partitionForKey(k, n) === p);
      const got = await consumer.receiveBatch(expected.length, 5000);
      assert.deepEqual(
        got.map((m) => m.key),
        expected,
        `partition ${p}`,
      );
      assert.ok(got.every((m) => m.messageId.partition === p));
      await consumer.close();
    }
    await producer.close();
  });

  test('keyless messages round-robin over partitions; one consumer reads them all', async () => {
    const topic = uniqueTopic('rr');
    await admin.createPartitionedTopic(topic, 3);
    const consumer = await client.subscribe({
      topic,
      subscription: 'all',
      initialPosition: 'Earliest',
    });
    assert.equal(consumer.topics.length, 3);
    const producer = await client.createProducer({ topic, batching: false });
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) => producer.send({ payload: Buffer.from(String(i)) })),
    );
    const perPartition = [0, 0, 0];
    for (const id of ids) perPartition[id.partition]!++;
    assert.deepEqual(perPartition, [10, 10, 10]);
    const got = await consumer.receiveBatch(30, 5000);
    assert.equal(got.length, 30);
    assert.deepEqual(
      got.map((m) => Number(m.payload.toString())).sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => i),
    );
    for (const m of got) await consumer.ack(m);
    assert.equal((await consumer.getLastMessageIds()).length, 3);
    await consumer.close();
    await producer.close();
  });

  test('a producer on T-partition-i writes only there', async () => {
    const topic = uniqueTopic('one');
    await admin.createPartitionedTopic(topic, 2);
    const producer = await client.createProducer({ topic: `${topic}-partition-1` });
    const id = await producer.send({ payload: Buffer.from('x'), key: 'whatever' });
    assert.equal(id.partition, 1);
    const stats = await admin.getPartitionedStats(topic);
    assert.equal(stats.partitions?.[`${topic}-partition-0`]?.msgInCounter ?? 0, 0);
    await producer.close();
  });

  test('a producer and a consumer attach to partitions added while they run', async () => {
    const topic = uniqueTopic('grow');
    await admin.createPartitionedTopic(topic, 2);
    const opts = { partitionsRefreshMs: 300 };
    const consumer = await client.subscribe({
      topic,
      subscription: 'grow',
      initialPosition: 'Earliest',
      ...opts,
    });
    const producer = await client.createProducer({ topic, batching: false, ...opts });
    const added = new Promise<string[]>((resolve) => consumer.once('partitionsAdded', resolve));
    await admin.updatePartitionedTopic(topic, 3);
    assert.deepEqual(await added, [`${topic}-partition-2`]);
    for (let i = 0; i < 50 && producer.numPartitions < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(producer.numPartitions, 3, 'the producer sends to the new partition too');
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) => producer.send({ payload: Buffer.from(String(i)) })),
    );
    assert.equal(ids.filter((id) => id.partition === 2).length, 10);
    const got: string[] = [];
    for (let i = 0; i < 20 && got.length < 30; i++) {
      got.push(
        ...(await consumer.receiveBatch(30 - got.length, 500)).map((m) => String(m.payload)),
      );
    }
    assert.deepEqual(
      got.map(Number).sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => i),
      'every message once, those of the new partition included',
    );
    assert.deepEqual(await consumer.receiveBatch(1, 500), []);
    await consumer.close();
    await producer.close();
  });
});
