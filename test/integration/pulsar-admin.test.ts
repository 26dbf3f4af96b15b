// PulsarAdmin against the real broker's REST API.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminError, PulsarAdmin, PulsarClient } from '../../libs/pulsar/index.ts';
import {
  PULSAR_ADMIN_URL,
  PULSAR_URL,
  eventually,
  uniqueName,
  uniqueTopic,
} from '../support/pulsar.ts';
import { auth } from '../support/stack.ts';

describe('pulsar admin', () => {
  const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: PULSAR_ADMIN_URL });

  test('partitioned topic lifecycle: create, metadata, list, stats, delete', async () => {
    const topic = uniqueTopic('adm');
    await admin.createPartitionedTopic(topic, 2);
    assert.deepEqual(await admin.getPartitionedTopicMetadata(topic), { partitions: 2 });
    assert.ok((await admin.listPartitionedTopics('public/default')).includes(topic));
    const client = new PulsarClient({ ...auth.pulsar, serviceUrl: PULSAR_URL });
    await client.subscribe({ topic, subscription: 'stats-sub' });
    const producer = await client.createProducer({ topic, batching: false });
    for (let i = 0; i < 6; i++) await producer.send({ payload: Buffer.from('x'), key: `k${i}` });
    const stats = await admin.getPartitionedStats(topic);
    assert.equal(stats.metadata.partitions, 2);
    assert.ok(stats.subscriptions['stats-sub'], 'subscription listed');
    const perPartition = Object.values(stats.partitions ?? {});
    assert.equal(perPartition.length, 2);
    assert.equal(
      perPartition.reduce((sum, p) => sum + (p.msgInCounter ?? 0), 0),
      6,
    );
    await client.close();
    await admin.deletePartitionedTopic(topic);
    assert.equal((await admin.getPartitionedTopicMetadata(topic)).partitions, 0);
  });

  test('retention and deduplication policies', async () => {
    const before = await admin.getNamespaceRetention('public/default');
    assert.ok(before === undefined || typeof before.retentionTimeInMinutes === 'number');
    const topic = uniqueTopic('pol');
    await admin.createTopic(topic);
    await admin.setTopicRetention(topic, { retentionTimeInMinutes: 120, retentionSizeInMB: 64 });
    await eventually(
      async () => (await admin.getTopicRetention(topic))?.retentionTimeInMinutes === 120,
      10_000,
      'topic retention to apply',
    );
    await admin.setTopicDeduplication(topic, true);
    await eventually(
      async () => (await admin.getTopicDeduplication(topic)) === true,
      10_000,
      'dedup',
    );
    await admin.deleteTopic(topic);
  });

  test('applied retention: the topic policy, else the namespace policy, else the broker default', async () => {
    const namespace = `public/${uniqueName('adm-ns')}`;
    await admin.createNamespace(namespace);
    const topic = `persistent://${namespace}/t`;
    const partitioned = `persistent://${namespace}/p`;
    try {
      const cfg = await admin.getRuntimeConfiguration();
      const broker = {
        retentionTimeInMinutes: Number(cfg.defaultRetentionTimeInMinutes),
        retentionSizeInMB: Number(cfg.defaultRetentionSizeInMB),
      };
      assert.ok(Number.isInteger(broker.retentionTimeInMinutes), JSON.stringify(broker));
      await admin.createTopic(topic);
      await admin.createPartitionedTopic(partitioned, 2);
      assert.equal(await admin.getNamespaceRetention(namespace), undefined);
      assert.equal(await admin.getTopicRetention(topic), undefined);
      assert.deepEqual(await admin.getAppliedTopicRetention(topic), broker);
      assert.deepEqual(await admin.getAppliedTopicRetention(partitioned), broker);

      const ns = { retentionTimeInMinutes: 7, retentionSizeInMB: -1 };
      await admin.setNamespaceRetention(namespace, ns);
      await eventually(
        async () => (await admin.getAppliedTopicRetention(topic)).retentionTimeInMinutes === 7,
        10_000,
        'namespace retention to apply',
      );
      const own = { retentionTimeInMinutes: 9, retentionSizeInMB: 5 };
      await admin.setTopicRetention(partitioned, own);
      await eventually(
        async () => (await admin.getAppliedTopicRetention(partitioned)).retentionSizeInMB === 5,
        10_000,
        'topic retention to apply',
      );
      assert.deepEqual(await admin.getAppliedTopicRetention(partitioned), own);
      assert.deepEqual(await admin.getAppliedTopicRetention(topic), ns);

      // A partition's policy is its topic's: asking for it by partition name is refused.
      await assert.rejects(admin.getAppliedTopicRetention(`${partitioned}-partition-0`), {
        status: 412,
      });
      await assert.rejects(admin.getAppliedTopicRetention(`persistent://${namespace}/none`), {
        status: 404,
      });
      await assert.rejects(admin.createNamespace(namespace), { status: 409 });
    } finally {
      await admin.deleteTopic(topic).catch(() => undefined);
      await admin.deletePartitionedTopic(partitioned).catch(() => undefined);
      await admin.deleteNamespace(namespace);
    }
    await assert.rejects(admin.getNamespaceRetention(namespace), { status: 404 });
  });

  test('backlog, reset cursor by time, unload, errors', async () => {
    const topic = uniqueTopic('cursor');
    const client = new PulsarClient({ ...auth.pulsar, serviceUrl: PULSAR_URL });
    const consumer = await client.subscribe({ topic, subscription: 'c', ackGroupTimeMs: 0 });
    const producer = await client.createProducer({ topic, batching: false });
    const start = Date.now();
    for (let i = 0; i < 5; i++) await producer.send({ payload: Buffer.from(String(i)) });
    await consumer.close();
    const stats = await admin.getTopicStats(topic);
    assert.equal(stats.subscriptions.c?.msgBacklog, 5);
    await admin.skipAllMessages(topic, 'c');
    assert.equal((await admin.getTopicStats(topic)).subscriptions.c?.msgBacklog, 0);
    await admin.resetCursor(topic, 'c', start - 1000);
    assert.equal((await admin.getTopicStats(topic)).subscriptions.c?.msgBacklog, 5);
    assert.deepEqual(await admin.listSubscriptions(topic), ['c']);
    assert.ok((await admin.listTopics('public/default')).includes(topic));
    await admin.unloadTopic(topic);
    await client.close();
    await assert.rejects(admin.getTopicStats(uniqueTopic('missing')), (err: unknown) => {
      assert.ok(err instanceof AdminError);
      assert.equal(err.status, 404);
      return true;
    });
  });
});
