import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Manifest } from '@iot/checkpoint-storage';
import { ConsoleCollector } from './collector.ts';
import { METRIC } from './metric-names.ts';
import type { Member } from './snapshot.ts';

const member = (service: string, instance: string, ops?: string): Member => ({
  service,
  instance,
  partitions: service === 'ingest' ? [0] : [],
  lastEpoch: -1,
  suspended: false,
  ...(ops === undefined ? {} : { ops }),
  sentAt: 0,
});

test('rounds: rates from the second, storage listed again once a new epoch shows, errors kept per instance', async () => {
  let now = 1_000_000;
  let records = 0;
  let epoch = 1;
  let listings = 0;
  const collector = new ConsoleCollector({
    members: () => [
      member('ingest', 'i-1', 'http://i-1:9464'),
      member('writer', 'w-1', 'http://w-1:9466'),
      member('writer', 'w-2'),
      member('checkpointer', 'c-1', 'http://c-1:9467'),
    ],
    scrape: async (url) => {
      if (url === 'http://w-1:9466') throw new Error('connect ECONNREFUSED');
      if (url === 'http://c-1:9467') return `${METRIC.lastEpoch} ${epoch}\n`;
      return `${METRIC.recordsIn}{stage="ingest",partition="0"} ${records}\n`;
    },
    storage: async () => {
      listings++;
      return [] as Manifest[];
    },
    now: () => now,
  });
  const first = await collector.collect();
  assert.equal(first.stages[0]?.inRate, null);
  records = 500;
  now += 2000;
  const second = await collector.collect();
  assert.equal(second.stages[0]?.inRate, 250);
  assert.deepEqual(
    second.stages.find((s) => s.name === 'writer')?.instances.map((i) => i.scrape),
    ['connect ECONNREFUSED', 'no ops URL announced'],
  );
  assert.equal(listings, 1, 'storage is not listed every round');
  epoch = 2;
  now += 2000;
  await collector.collect();
  now += 2000;
  await collector.collect();
  assert.equal(listings, 2, 'listed the round after epoch 2 showed in the metrics');
  assert.deepEqual(collector.latest?.history.series['in:ingest'], [null, 250, 0, 0]);
});
