import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionWatch, topicsOf } from './partition-watch.ts';

test('growth is reported once, a failed onGrow is retried from the same count, shrinking is ignored', async () => {
  let count = 2;
  let failNext = false;
  const grown: [number, number][] = [];
  const errors: unknown[] = [];
  const watch = new PartitionWatch({
    count: async () => count,
    initial: 2,
    intervalMs: 0, // polled by hand below
    onGrow: (from, to) => {
      if (failNext) {
        failNext = false;
        throw new Error('subscribe failed');
      }
      grown.push([from, to]);
    },
    onError: (err) => errors.push(err),
  });
  await watch.check();
  assert.deepEqual(grown, [], 'no change, no call');
  count = 4;
  failNext = true;
  await watch.check();
  assert.equal(errors.length, 1);
  assert.equal(watch.partitions, 2, 'not acted on yet');
  await watch.check();
  assert.deepEqual(grown, [[2, 4]], 'retried from 2');
  count = 3;
  await watch.check();
  assert.deepEqual(grown, [[2, 4]], 'a lower answer is not a change');
  assert.equal(watch.partitions, 4);
  await watch.stop();
  count = 6;
  await watch.check();
  assert.deepEqual(grown, [[2, 4]], 'nothing after stop');
});

test('concurrent checks share one request', async () => {
  let requests = 0;
  const watch = new PartitionWatch({
    count: async () => (requests++, 1),
    initial: 1,
    intervalMs: 0,
    onGrow: () => {},
  });
  await Promise.all([watch.check(), watch.check(), watch.check()]);
  assert.equal(requests, 1);
});

test('topicsOf: the topic itself when not partitioned, else its partitions', () => {
  assert.deepEqual(topicsOf('persistent://public/default/t', 0), ['persistent://public/default/t']);
  assert.deepEqual(topicsOf('persistent://public/default/t', 2), [
    'persistent://public/default/t-partition-0',
    'persistent://public/default/t-partition-1',
  ]);
});
