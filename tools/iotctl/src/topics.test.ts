import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTopic, type TopicWant } from './topics.ts';

const source: TopicWant = {
  variable: 'PULSAR_TOPIC',
  topic: 'persistent://t/n/data',
  partitions: 4,
};
const records: TopicWant = { ...source, variable: 'RECORDS_TOPIC', keyedState: true };
const plain: TopicWant = { variable: 'DLQ_TOPIC', topic: 'persistent://t/n/dlq', partitions: 0 };

test('a missing topic is created, partitioned or not as configured', () => {
  assert.deepEqual(planTopic(source, { kind: 'absent' }, false), {
    action: 'create',
    line: 'persistent://t/n/data: created with 4 partitions',
  });
  assert.equal(planTopic(plain, { kind: 'absent' }, false).action, 'create');
});

test('a topic as configured is kept; a non-partitioned one is kept whatever it is', () => {
  assert.equal(planTopic(source, { kind: 'partitioned', partitions: 4 }, false).action, 'keep');
  assert.equal(planTopic(plain, { kind: 'plain' }, false).action, 'keep');
  assert.equal(planTopic(plain, { kind: 'partitioned', partitions: 2 }, false).action, 'keep');
});

test('a partition count configured higher is raised; the records topic only when allowed', () => {
  assert.deepEqual(planTopic(source, { kind: 'partitioned', partitions: 2 }, false), {
    action: 'raise',
    line: 'persistent://t/n/data: raised from 2 to 4 partitions',
  });
  const refused = planTopic(records, { kind: 'partitioned', partitions: 2 }, false);
  assert.equal(refused.action, 'refuse');
  assert.match(refused.line, /--repartition-records/);
  assert.equal(planTopic(records, { kind: 'partitioned', partitions: 2 }, true).action, 'raise');
});

test('what Pulsar cannot do is refused with what to do instead', () => {
  const lower = planTopic(source, { kind: 'partitioned', partitions: 8 }, true);
  assert.equal(lower.action, 'refuse');
  assert.match(lower.line, /cannot lower a partition count: set PULSAR_TOPIC_PARTITIONS=8$/);
  const auto = planTopic(source, { kind: 'plain' }, true);
  assert.equal(auto.action, 'refuse');
  assert.match(auto.line, /non-partitioned topic .*delete it/);
});
