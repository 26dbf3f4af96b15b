import { test } from 'node:test';
import assert from 'node:assert/strict';

import { MetricsRegistry, registerProcessMetrics } from './metrics.ts';

test('renders labelled counters and gauges in Prometheus text format', async () => {
  const registry = new MetricsRegistry();
  const records = registry.counter({
    name: 'iot_records_in_total',
    help: 'Records read.',
    labelNames: ['stage', 'partition'],
  });
  const lag = registry.gauge({ name: 'iot_open_windows', help: 'Windows open.' });
  records.inc({ stage: 'ingest', partition: 0 });
  records.inc({ stage: 'ingest', partition: 0 }, 4);
  records.inc({ stage: 'ingest', partition: 1 });
  lag.set(42);
  lag.dec(2);
  assert.equal(
    await registry.render(),
    [
      '# HELP iot_records_in_total Records read.',
      '# TYPE iot_records_in_total counter',
      'iot_records_in_total{stage="ingest",partition="0"} 5',
      'iot_records_in_total{stage="ingest",partition="1"} 1',
      '',
      '# HELP iot_open_windows Windows open.',
      '# TYPE iot_open_windows gauge',
      'iot_open_windows 40',
      '',
    ].join('\n'),
  );
});

test('histograms take the buckets given, seconds by default', async () => {
  const registry = new MetricsRegistry();
  const size = registry.histogram({
    name: 'iot_batch_size',
    help: 'Messages per batch.',
    labelNames: ['stage'],
    buckets: [1, 10, 100],
  });
  for (const v of [1, 5, 50, 500]) size.observe({ stage: 'ingest' }, v);
  registry.histogram({ name: 'iot_batch_duration_seconds', help: 'Batch time.' }).observe(0.2);
  const text = await registry.render();
  assert.match(text, /^iot_batch_size_bucket\{le="10",stage="ingest"\} 2$/m);
  assert.match(text, /^iot_batch_size_bucket\{le="\+Inf",stage="ingest"\} 4$/m);
  assert.match(text, /^iot_batch_size_sum\{stage="ingest"\} 556$/m);
  assert.match(text, /^iot_batch_duration_seconds_bucket\{le="0.25"\} 1$/m);
  assert.match(text, /^iot_batch_duration_seconds_bucket\{le="0.1"\} 0$/m);
});

test("a gauge's collect callback runs at every scrape", async () => {
  const registry = new MetricsRegistry();
  let queued = 3;
  registry.gauge({ name: 'iot_queue_messages', help: 'Queued.', collect: (g) => g.set(queued) });
  assert.match(await registry.render(), /^iot_queue_messages 3$/m);
  queued = 7;
  assert.match(await registry.render(), /^iot_queue_messages 7$/m);
});

test('a name registered twice is an error; registries are independent', () => {
  const a = new MetricsRegistry();
  a.counter({ name: 'iot_dlq_total', help: 'DLQ.' });
  assert.throws(() => a.gauge({ name: 'iot_dlq_total', help: 'again' }), /already registered/);
  // No global registry: a second service runtime in one process (tests) starts empty.
  assert.doesNotThrow(() => new MetricsRegistry().counter({ name: 'iot_dlq_total', help: 'DLQ.' }));
});

test("prom-client's default metrics: process, heap, GC and event-loop lag", async () => {
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry);
  const text = await registry.render();
  for (const name of [
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'process_start_time_seconds',
    'nodejs_heap_size_used_bytes',
    'nodejs_eventloop_lag_p99_seconds',
    'nodejs_gc_duration_seconds',
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
});

test('a collect callback that resets reports only the series that exist now', async () => {
  const registry = new MetricsRegistry();
  let owned = [0, 1];
  registry.gauge({
    name: 'iot_x',
    help: 'x',
    labelNames: ['partition'],
    collect: (g) => {
      g.reset();
      for (const p of owned) g.set({ partition: p }, p + 10);
    },
  });
  assert.match(await registry.render(), /iot_x\{partition="1"\} 11/);
  owned = [0];
  const text = await registry.render();
  assert.match(text, /iot_x\{partition="0"\} 10/);
  assert.doesNotMatch(text, /partition="1"/, 'a partition no longer owned is gone');
});
