import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PartitionedTopicStats, TopicStats } from '@iot/pulsar';
import { BacklogMonitor, subscriptionBacklog } from './backlog.ts';

const topicStats = (subs: Record<string, number>): TopicStats => ({
  msgRateIn: 0,
  msgRateOut: 0,
  msgThroughputIn: 0,
  msgThroughputOut: 0,
  publishers: [],
  subscriptions: Object.fromEntries(
    Object.entries(subs).map(([name, msgBacklog]) => [
      name,
      { msgBacklog, msgRateOut: 0, consumers: [] },
    ]),
  ),
});

test('subscriptionBacklog reads each partition of a partitioned topic, for one subscription', () => {
  const stats: PartitionedTopicStats = {
    ...topicStats({ ingest: 12 }),
    metadata: { partitions: 3 },
    partitions: {
      'persistent://public/default/data-partition-0': topicStats({ ingest: 10, other: 99 }),
      'persistent://public/default/data-partition-2': topicStats({ ingest: 2 }),
      'persistent://public/default/data-partition-1': topicStats({ other: 5 }),
    },
  };
  assert.deepEqual([...subscriptionBacklog(stats, 'ingest')].sort(), [
    [0, 10],
    [2, 2],
  ]);
});

test('subscriptionBacklog of a topic that is not partitioned is partition 0', () => {
  assert.deepEqual([...subscriptionBacklog(topicStats({ ingest: 7 }), 'ingest')], [[0, 7]]);
  assert.deepEqual([...subscriptionBacklog(topicStats({}), 'ingest')], []);
});

test('BacklogMonitor keeps the last answer, reports an outage once, and goes quiet when stale', async () => {
  let clock = 0;
  let fail = false;
  const errors: unknown[] = [];
  const monitor = new BacklogMonitor({
    admin: {
      getTopicStats: async () => {
        if (fail) throw new Error('connection refused');
        return topicStats({ agg: 40 });
      },
      getPartitionedStats: () => Promise.reject(new Error('not partitioned')),
    },
    topic: 'persistent://public/default/records',
    partitioned: false,
    subscription: 'agg',
    intervalMs: 1000,
    onError: (e) => errors.push(e),
    now: () => clock,
  });
  assert.equal(monitor.of(0), undefined, 'nothing known before the first answer');
  await monitor.poll();
  assert.equal(monitor.of(0), 40);
  assert.equal(monitor.of(1), undefined);
  fail = true;
  clock = 2000;
  await monitor.poll();
  await monitor.poll();
  assert.equal(errors.length, 1);
  assert.equal(monitor.of(0), 40, 'a recent figure survives a failed poll');
  clock = 3001;
  assert.equal(monitor.of(0), undefined, 'older than three intervals: unknown');
});
