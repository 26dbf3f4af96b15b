// The rules of replay retention: raise what keeps too little, never lower a time or a size,
// and with topic-level policies off, judge what the namespace or the broker applies. The same
// function against the real broker: test/integration/checkpoint-replay-retention.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminError, type RetentionPolicy } from '@iot/pulsar';
import {
  ensureReplayRetention,
  raisedRetention,
  replayRetentionMinutes,
  type RetentionAdmin,
} from './replay-retention.ts';

const policy = (retentionTimeInMinutes: number, retentionSizeInMB: number): RetentionPolicy => ({
  retentionTimeInMinutes,
  retentionSizeInMB,
});

test('replay retention is strictly more than 2 × retain × interval', () => {
  assert.equal(replayRetentionMinutes(10_000, 5), 2); // 100 s
  assert.equal(replayRetentionMinutes(60_000, 5), 11);
  assert.equal(replayRetentionMinutes(30_000, 1), 2); // exactly 1 min → more than that
});

test('a policy that keeps long enough is left alone, whatever its size cap', () => {
  assert.equal(raisedRetention(policy(180, 4096), 11), undefined);
  assert.equal(raisedRetention(policy(11, -1), 11), undefined);
  assert.equal(raisedRetention(policy(-1, -1), 11), undefined);
  assert.equal(raisedRetention(policy(-1, 10), 100_000), undefined);
});

test('a short time is raised to the minutes needed; the size cap is kept', () => {
  assert.deepEqual(raisedRetention(policy(2, 4096), 11), policy(11, 4096));
  assert.deepEqual(raisedRetention(policy(0, -1), 11), policy(11, -1));
});

test('size 0 keeps nothing: it becomes no limit, a longer time is kept', () => {
  assert.deepEqual(raisedRetention(policy(0, 0), 11), policy(11, -1));
  assert.deepEqual(raisedRetention(policy(600, 0), 11), policy(600, -1));
  assert.deepEqual(raisedRetention(policy(-1, 0), 11), policy(-1, -1));
});

/** The admin calls over a fixed state; records every set. */
function fakeAdmin(state: {
  applied?: Record<string, RetentionPolicy>;
  topicPoliciesOff?: boolean;
  namespace?: RetentionPolicy;
  broker?: Record<string, string>;
}): RetentionAdmin & { sets: Array<[string, RetentionPolicy]> } {
  const sets: Array<[string, RetentionPolicy]> = [];
  const off = () =>
    new AdminError('HTTP 405: Topic level policies is disabled, to enable ... and retry.', 405);
  return {
    sets,
    getAppliedTopicRetention: async (topic) => {
      if (state.topicPoliciesOff) throw off();
      const p = state.applied?.[topic];
      if (!p) throw new AdminError(`HTTP 404: Topic ${topic} not found`, 404);
      return p;
    },
    setTopicRetention: async (topic, p) => {
      if (state.topicPoliciesOff) throw off();
      sets.push([topic, p]);
    },
    getNamespaceRetention: async () => state.namespace,
    getRuntimeConfiguration: async () => state.broker ?? {},
  };
}

const data = 'persistent://t/ns/data';
const records = 'persistent://t/ns/records';

test('sets topic policies only where the applied one keeps too little; absent topics listed', async () => {
  const admin = fakeAdmin({ applied: { [data]: policy(180, 4096), [records]: policy(1, 64) } });
  const r = await ensureReplayRetention(admin, [data, records, 'persistent://t/ns/later'], 11);
  assert.deepEqual(admin.sets, [[records, policy(11, 64)]]);
  assert.deepEqual(r.changes, [{ topic: records, from: policy(1, 64), to: policy(11, 64) }]);
  assert.deepEqual(r.missing, ['persistent://t/ns/later']);
});

test('topic-level policies off: enough from the namespace or the broker is fine', async () => {
  const broker = { defaultRetentionTimeInMinutes: '180', defaultRetentionSizeInMB: '4096' };
  const byBroker = fakeAdmin({ topicPoliciesOff: true, broker });
  assert.deepEqual(await ensureReplayRetention(byBroker, [data], 11), {
    changes: [],
    missing: [],
  });
  // The namespace's own policy wins over the broker's, even when it keeps less.
  const byNamespace = fakeAdmin({ topicPoliciesOff: true, namespace: policy(5, -1), broker });
  await assert.rejects(ensureReplayRetention(byNamespace, [data], 11), (err: unknown) => {
    assert.ok(err instanceof AdminError);
    assert.match(
      err.message,
      /topicLevelPoliciesEnabled=true on the broker, or give persistent:\/\/t\/ns\/data at least 11 min/,
    );
    return true;
  });
  assert.deepEqual(byNamespace.sets, []);
});
