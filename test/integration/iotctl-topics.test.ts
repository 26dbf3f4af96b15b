// `iotctl topics ensure` against the real broker, run as the k8s init step runs it: creates the
// pipeline's topics with the configured partition counts, is idempotent (also when several
// run at once), raises a count, and refuses what Pulsar cannot do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { PulsarAdmin } from '../../libs/pulsar/index.ts';
import { PULSAR_ADMIN_URL, uniqueName } from '../support/pulsar.ts';
import { envAs, auth } from '../support/stack.ts';

const iotctl = fileURLToPath(new URL('../../tools/iotctl/bin/iotctl.js', import.meta.url));
const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: PULSAR_ADMIN_URL });
const name = uniqueName('topics');
const topic = (t: string) => `persistent://public/default/${name}-${t}`;
const env = {
  ...envAs('operator'),
  PULSAR_ADMIN_URL,
  PULSAR_TOPIC: topic('data'),
  RECORDS_TOPIC: topic('records'),
  AGGREGATES_TOPIC: topic('aggregates'),
  ALERTS_TOPIC: topic('alerts'),
  DLQ_TOPIC: topic('dlq'),
  PULSAR_TOPIC_PARTITIONS: '3',
  RECORDS_TOPIC_PARTITIONS: '2',
};

function ensure(
  extra: Record<string, string> = {},
  flags: string[] = [],
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [iotctl, 'topics', 'ensure', ...flags], {
    env: { ...process.env, ...env, ...extra },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

const partitions = async (t: string) => (await admin.getPartitionedTopicMetadata(t)).partitions;

test('creates the topics, idempotently, even when several pods run it at once', async () => {
  const runs = await Promise.all([ensure(), ensure(), ensure()]);
  for (const r of runs) assert.equal(r.code, 0, r.err);
  assert.equal(await partitions(env.PULSAR_TOPIC), 3);
  assert.equal(await partitions(env.RECORDS_TOPIC), 2);
  const listed = await admin.listTopics('public/default');
  for (const t of [env.AGGREGATES_TOPIC, env.ALERTS_TOPIC, env.DLQ_TOPIC])
    assert.ok(listed.includes(t), `${t} exists`);

  const again = await ensure();
  assert.equal(again.code, 0, again.err);
  assert.equal(
    again.out,
    [
      `${env.PULSAR_TOPIC}: 3 partitions`,
      `${env.RECORDS_TOPIC}: 2 partitions`,
      `${env.AGGREGATES_TOPIC}: exists`,
      `${env.ALERTS_TOPIC}: exists`,
      `${env.DLQ_TOPIC}: exists`,
      '',
    ].join('\n'),
  );
});

test('raises a partition count; the records topic only with --repartition-records', async () => {
  const raising = await Promise.all([1, 2, 3].map(() => ensure({ PULSAR_TOPIC_PARTITIONS: '5' })));
  for (const r of raising) assert.equal(r.code, 0, r.err);
  assert.ok(raising.some((r) => /: raised from 3 to 5 partitions$/m.test(r.out)));
  assert.equal(await partitions(env.PULSAR_TOPIC), 5);

  const refused = await ensure({ PULSAR_TOPIC_PARTITIONS: '5', RECORDS_TOPIC_PARTITIONS: '4' });
  assert.equal(refused.code, 1);
  assert.match(refused.err, /--repartition-records/);
  assert.equal(await partitions(env.RECORDS_TOPIC), 2);

  const allowed = await ensure({ PULSAR_TOPIC_PARTITIONS: '5', RECORDS_TOPIC_PARTITIONS: '4' }, [
    '--repartition-records',
  ]);
  assert.equal(allowed.code, 0, allowed.err);
  assert.equal(await partitions(env.RECORDS_TOPIC), 4);
});

test('refuses to lower a count or to partition an auto-created topic, saying what to do', async () => {
  const lower = await ensure({ PULSAR_TOPIC_PARTITIONS: '2', RECORDS_TOPIC_PARTITIONS: '4' });
  assert.equal(lower.code, 1);
  assert.match(lower.err, /cannot lower a partition count: set PULSAR_TOPIC_PARTITIONS=5/);

  const auto = topic('auto');
  await admin.createTopic(auto);
  const plain = await ensure({ PULSAR_TOPIC: auto, RECORDS_TOPIC_PARTITIONS: '4' });
  assert.equal(plain.code, 1);
  assert.match(plain.err, /exists as a non-partitioned topic/);
  await admin.deleteTopic(auto);
});

test('cleanup', async () => {
  for (const t of [env.PULSAR_TOPIC, env.RECORDS_TOPIC]) await admin.deletePartitionedTopic(t);
  for (const t of [env.AGGREGATES_TOPIC, env.ALERTS_TOPIC, env.DLQ_TOPIC])
    await admin.deleteTopic(t);
});
