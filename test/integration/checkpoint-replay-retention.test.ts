// The checkpointer's replay retention against the real broker, in a namespace with no policy
// of its own (the broker's default, 180 min / 4 GiB on the local stack, applies): the
// namespace stays without a policy, other topics keep the broker's default, the pipeline's
// topics get at least what replay needs, and a longer retention is never lowered.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarAdmin, type RetentionPolicy } from '@iot/pulsar';
import {
  ensureReplayRetention,
  ensureWhenCreated,
  type RetentionChange,
} from '../../services/checkpointer/src/replay-retention.ts';
import { eventually, uniqueName } from '../support/pulsar.ts';
import { auth, stack } from '../support/stack.ts';

const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: stack.pulsarAdminUrl });
const namespace = `public/${uniqueName('replay-ret')}`;
const t = (name: string) => `persistent://${namespace}/${name}`;
const source = t('source'); // partitioned, no policy of its own
const records = t('records'); // longer topic-level policy than needed
const other = t('other-app'); // another application's topic in the same namespace
let brokerDefault: RetentionPolicy;

const applied = (topic: string) => admin.getAppliedTopicRetention(topic);
const same = (a: RetentionPolicy, b: RetentionPolicy) =>
  a.retentionTimeInMinutes === b.retentionTimeInMinutes &&
  a.retentionSizeInMB === b.retentionSizeInMB;

before(async () => {
  await admin.createNamespace(namespace);
  assert.equal(await admin.getNamespaceRetention(namespace), undefined, 'no namespace policy');
  await admin.createPartitionedTopic(source, 2);
  await admin.createTopic(records);
  await admin.createTopic(other);
  await admin.setTopicRetention(records, {
    retentionTimeInMinutes: 100_000,
    retentionSizeInMB: 10,
  });
  await eventually(
    async () => (await applied(records)).retentionTimeInMinutes === 100_000,
    10_000,
    'records topic policy',
  );
  const cfg = await admin.getRuntimeConfiguration();
  brokerDefault = {
    retentionTimeInMinutes: Number(cfg.defaultRetentionTimeInMinutes),
    retentionSizeInMB: Number(cfg.defaultRetentionSizeInMB),
  };
  assert.ok(brokerDefault.retentionTimeInMinutes > 2, 'the broker keeps more than 2 minutes');
});

after(async () => {
  await admin.deletePartitionedTopic(source).catch(() => undefined);
  for (const topic of [records, other, t('later')])
    await admin.deleteTopic(topic).catch(() => undefined);
  await admin.deleteNamespace(namespace).catch(() => undefined);
});

test('needing less than the broker default: nothing is set anywhere', async () => {
  const r = await ensureReplayRetention(admin, [source, records], 2);
  assert.deepEqual(r, { changes: [], missing: [] });
  assert.equal(await admin.getNamespaceRetention(namespace), undefined);
  assert.equal(await admin.getTopicRetention(source), undefined);
  assert.deepEqual(await applied(other), brokerDefault);
  assert.deepEqual(await applied(source), brokerDefault);
});

test('needing more: only the pipeline topics that keep too little get a topic policy', async () => {
  const minutes = brokerDefault.retentionTimeInMinutes + 60;
  const r = await ensureReplayRetention(admin, [source, records, t('later')], minutes);
  const raised = {
    retentionTimeInMinutes: minutes,
    retentionSizeInMB: brokerDefault.retentionSizeInMB,
  };
  assert.deepEqual(r.changes, [{ topic: source, from: brokerDefault, to: raised }]);
  assert.deepEqual(r.missing, [t('later')]);
  await eventually(async () => same(await applied(source), raised), 10_000, 'source raised');
  // The longer policy stays, the namespace still has none, the other topic keeps the default.
  assert.deepEqual(await applied(records), {
    retentionTimeInMinutes: 100_000,
    retentionSizeInMB: 10,
  });
  assert.equal(await admin.getNamespaceRetention(namespace), undefined);
  assert.deepEqual(await applied(other), brokerDefault);
  // A second start changes nothing.
  assert.deepEqual((await ensureReplayRetention(admin, [source, records], minutes)).changes, []);
});

test('a topic created after start gets its retention once it exists', async () => {
  const later = t('later');
  const minutes = brokerDefault.retentionTimeInMinutes + 1;
  const seen: RetentionChange[][] = [];
  const errors: unknown[] = [];
  const stop = ensureWhenCreated(admin, [later], minutes, 200, {
    changed: (c) => seen.push(c),
    failed: (err) => errors.push(err),
  });
  try {
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(seen.length, 0, 'nothing to do before the topic exists');
    await admin.createTopic(later);
    await eventually(() => seen.length > 0, 10_000, 'the retention of the new topic');
    assert.deepEqual(
      seen[0]!.map((c) => [c.topic, c.to.retentionTimeInMinutes]),
      [[later, minutes]],
    );
    assert.deepEqual(errors, []);
    assert.equal(await admin.getNamespaceRetention(namespace), undefined);
  } finally {
    stop();
  }
});
