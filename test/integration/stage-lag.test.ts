// Lag in `iotctl status`: a stage's subscription backlog per partition, read from the real
// Pulsar admin API by watchBacklog, reported over the real NATS control plane and printed by
// iotctl as a process.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { CheckpointStore, createS3Client } from '@iot/checkpoint-storage';
import { CheckpointParticipant, subjects } from '@iot/control-plane';
import { runIotctl } from '@iot/harness';
import { Logger } from '@iot/observability';
import { PulsarAdmin, PulsarClient } from '@iot/pulsar';
import { subscribePartitions, watchBacklog } from '@iot/stage';
import { envAs, auth, stack, uniqueName } from '../support/stack.ts';

const id = uniqueName('lag');
const prefix = `t_${id.replaceAll('-', '_')}`;
const topic = `persistent://public/default/${id}`;
const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: stack.pulsarAdminUrl });
const client = new PulsarClient({ ...auth.pulsar, serviceUrl: stack.pulsarUrl });
const s3 = createS3Client({
  endpoint: stack.s3Endpoint,
  region: stack.s3Region,
  accessKeyId: stack.s3AccessKey,
  secretAccessKey: stack.s3SecretKey,
  forcePathStyle: true,
});

after(async () => {
  await client.close();
  await admin.deletePartitionedTopic(topic).catch(() => undefined);
  s3.destroy();
});

test('iotctl status shows each owned partition’s backlog from the Pulsar admin API', async () => {
  await admin.createPartitionedTopic(topic, 2);
  // The stage subscribes as it does in production; it consumes nothing, so all is backlog.
  const subscription = await subscribePartitions(client, {
    topic,
    subscription: 'stage',
    consumerName: 'lag-test',
  });
  const producer = await client.createProducer({ topic, batching: false });
  for (let i = 0; i < 7; i++) {
    await producer.send({ payload: Buffer.from(`m${i}`), key: i < 5 ? 'a' : 'b' });
  }
  await producer.close();
  const perPartition = new Map([
    [0, 0],
    [1, 0],
  ]);
  const keyA = producer.choosePartition({ payload: Buffer.alloc(0), key: 'a' });
  const keyB = producer.choosePartition({ payload: Buffer.alloc(0), key: 'b' });
  perPartition.set(keyA, (perPartition.get(keyA) ?? 0) + 5);
  perPartition.set(keyB, (perPartition.get(keyB) ?? 0) + 2);

  const log = new Logger({ service: 'lag-test', stream: { write: () => true } });
  const backlog = watchBacklog(
    { PULSAR_ADMIN_URL: stack.pulsarAdminUrl, PULSAR_AUTH_TOKEN: auth.pulsar.authToken },
    subscription.sources,
    'stage',
    log,
  );
  const nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  const participant = new CheckpointParticipant({
    nc,
    subjects: subjects(prefix),
    store: new CheckpointStore({ s3, bucket: stack.s3Bucket, prefix }),
    service: 'ingest',
    instance: 'ingest-lag-1',
  });
  try {
    for (const p of [0, 1]) {
      participant.partition(p, {
        snapshot: () => Promise.reject(new Error('unused')),
        lag: () => backlog.of(p),
      });
    }
    // The admin stats lag the publish slightly: poll until the broker counts all seven.
    const deadline = Date.now() + 15_000;
    while ((backlog.of(0) ?? 0) + (backlog.of(1) ?? 0) < 7 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      await backlog.poll();
    }
    assert.deepEqual([backlog.of(0), backlog.of(1)], [perPartition.get(0), perPartition.get(1)]);

    const r = await runIotctl(
      {
        ...process.env,
        ...envAs('operator'),
        NATS_URL: stack.natsUrl,
        S3_ENDPOINT: stack.s3Endpoint,
        S3_BUCKET: stack.s3Bucket,
        CONTROL_SUBJECT_PREFIX: prefix,
        CHECKPOINT_S3_PREFIX: prefix,
      },
      ['status'],
      30_000,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `ingest\\s+ingest-lag-1\\s+partitions \\[0,1\\]\\s+last epoch -\\s+lag 7 \\(0:${perPartition.get(0)} 1:${perPartition.get(1)}\\)`,
      ),
    );
  } finally {
    backlog.stop();
    await participant.close();
    await nc.close();
    await subscription.close();
  }
});
