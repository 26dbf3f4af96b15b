// produceStream over more sends than one Promise.all can hold: V8 stalls (or throws) past 2^21
// elements, which hung a 3.6M-message benchmark with its last open batches never flushed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { produceStream } from '@iot/harness';
import { PulsarAdmin, PulsarClient } from '../../libs/pulsar/index.ts';
import { PULSAR_ADMIN_URL, eventually, uniqueTopic, stackClient } from '../support/pulsar.ts';
import { auth } from '../support/stack.ts';

describe('pulsar produceStream', () => {
  let client: PulsarClient;
  const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: PULSAR_ADMIN_URL });
  before(() => {
    client = stackClient();
  });
  after(() => client.close());

  test('publishes more than 2^21 messages and returns', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('stream');
    await admin.createPartitionedTopic(topic, 4);
    const total = 2 ** 21 + 50_000;
    const params = {
      seed: 7,
      devices: 1000,
      firstSensorId: 1,
      startMs: Date.UTC(2024, 0, 1),
      durationMs: 60_000,
      ratePerSec: total / 60,
      partitions: 4,
      maxOutOfOrdernessMs: 5_000,
      shares: { late: 0, outOfOrder: 0, duplicate: 0, legacyJson: 0, malformed: 0 },
      profile: 'stress' as const,
    };
    assert.equal(await produceStream(client, topic, params), total);
    await eventually(
      async () => (await admin.getPartitionedStats(topic)).msgInCounter === total,
      20_000,
      `the broker to count ${total} messages in`,
    );
  });
});
