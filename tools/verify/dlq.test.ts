import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROP } from '@iot/channel';
import { DlqTally, formatCounts } from './dlq.ts';

const entry = (reason: string, origin: string | undefined, id: string, publishTime = 1_000) => ({
  properties: {
    [PROP.reason]: reason,
    ...(origin === undefined ? {} : { [PROP.originPartition]: '0', [PROP.originPosition]: origin }),
  },
  id,
  publishTime,
});

test('DLQ entries count once per origin; entries without origin by their own id', () => {
  const t = new DlqTally(500);
  t.add(entry('late', '1:1:-1:-1', 'a'));
  t.add(entry('late', '1:1:-1:-1', 'b')); // republished after a replay
  t.add(entry('undecodable', '1:2:-1:-1', 'c'));
  t.add(entry('late', undefined, 'd'));
  t.add(entry('late', undefined, 'd'));
  t.add(entry('bad_status', '1:3:-1:-1', 'e', 100)); // an older run's
  assert.deepEqual(t.byReason(), { late: 2, undecodable: 1 });
  assert.equal(t.distinct, 3);
  assert.equal(t.read, 5);
  assert.equal(t.skipped, 1);
  assert.equal(t.withoutOrigin, 1);
  assert.equal(formatCounts(t.byReason()), 'late 2, undecodable 1');
  assert.equal(formatCounts({ late: 0 }), 'none');
});
