import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from '@iot/observability';
import { BacklogMonitor } from './backlog.ts';
import { StageMetrics } from './stage-metrics.ts';

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('a batch counts records in per partition, out, and its size and duration', async () => {
  const registry = new MetricsRegistry();
  const m = new StageMetrics(registry, 'ingest');
  m.batch(2, 500, 0.02);
  m.batch(2, 100, 0.002);
  m.out(590);
  m.toDlq('late', 3);
  m.toDlq('nan_value', 0);
  const text = await registry.render();
  assert.equal(sample(text, 'iot_records_in_total{stage="ingest",partition="2"}'), 600);
  assert.equal(sample(text, 'iot_records_out_total{stage="ingest"}'), 590);
  assert.equal(sample(text, 'iot_dlq_total{stage="ingest",reason="late"}'), 3);
  assert.equal(sample(text, 'iot_dlq_total{stage="ingest",reason="nan_value"}'), undefined);
  assert.equal(sample(text, 'iot_batch_size_count{stage="ingest"}'), 2);
  assert.equal(sample(text, 'iot_batch_size_bucket{le="250",stage="ingest"}'), 1);
  assert.equal(sample(text, 'iot_batch_duration_seconds_bucket{le="0.0025",stage="ingest"}'), 1);
});

test('event-time lag is now − watermark at scrape time, and goes with the partition', async () => {
  let now = 1_000_000;
  const registry = new MetricsRegistry();
  const m = new StageMetrics(registry, 'aggregator', { now: () => now });
  m.watermark(0, 990_000);
  m.watermark(1, null); // nothing yet: no series
  let text = await registry.render();
  assert.equal(sample(text, 'iot_watermark_seconds{stage="aggregator",partition="0"}'), 990);
  assert.equal(sample(text, 'iot_event_time_lag_seconds{stage="aggregator",partition="0"}'), 10);
  assert.equal(
    sample(text, 'iot_event_time_lag_seconds{stage="aggregator",partition="1"}'),
    undefined,
  );
  now += 5_000; // no batch since: the lag grows
  text = await registry.render();
  assert.equal(sample(text, 'iot_event_time_lag_seconds{stage="aggregator",partition="0"}'), 15);
  m.release(0);
  text = await registry.render();
  assert.equal(sample(text, 'iot_watermark_seconds{stage="aggregator",partition="0"}'), undefined);
});

test('backlog series: the partitions this instance owns, from the latest admin poll', async () => {
  const admin = {
    getTopicStats: () => Promise.reject(new Error('not used')),
    getPartitionedStats: () =>
      Promise.resolve({
        subscriptions: {},
        partitions: {
          'persistent://public/default/t-partition-0': {
            subscriptions: { 'iot-ingest': { msgBacklog: 7 } },
          },
          'persistent://public/default/t-partition-1': {
            subscriptions: { 'iot-ingest': { msgBacklog: 2 } },
          },
        },
      }),
  } as unknown as ConstructorParameters<typeof BacklogMonitor>[0]['admin'];
  const monitor = new BacklogMonitor({
    admin,
    topic: 'persistent://public/default/t',
    partitioned: true,
    subscription: 'iot-ingest',
  });
  await monitor.poll();
  const registry = new MetricsRegistry();
  const m = new StageMetrics(registry, 'ingest');
  let owned = [1];
  m.watchBacklog(monitor, () => owned);
  m.ownedPartitions(() => owned.length);
  m.watchSuspended(() => true);
  const series = (p: number) =>
    `iot_consumer_backlog_messages{stage="ingest",topic="persistent://public/default/t",partition="${p}"}`;
  let text = await registry.render();
  assert.equal(sample(text, series(1)), 2);
  assert.equal(sample(text, series(0)), undefined);
  assert.equal(sample(text, 'iot_owned_partitions{stage="ingest"}'), 1);
  assert.equal(sample(text, 'iot_pipeline_suspended'), 1);
  owned = [0, 1];
  text = await registry.render();
  assert.equal(sample(text, series(0)), 7);
});
