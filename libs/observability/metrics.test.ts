import { test } from 'node:test';
import assert from 'node:assert/strict';

import { MetricsRegistry, registerProcessMetrics } from './metrics.ts';

test('renders counters and gauges in Prometheus text format', () => {
  const registry = new MetricsRegistry();
  const records = registry.counter({
    name: 'iot_records_in_total',
    help: 'Records read.',
    labelNames: ['topic', 'partition'],
  });
  const lag = registry.gauge({ name: 'iot_consumer_lag', help: 'Messages behind.' });
  records.inc({ topic: 'data', partition: 0 });
  records.inc({ topic: 'data', partition: 0 }, 4);
  records.inc({ topic: 'data', partition: 1 });
  lag.set(42);
  lag.dec(2);
  assert.equal(
    registry.render(),
    [
      '# HELP iot_records_in_total Records read.',
      '# TYPE iot_records_in_total counter',
      'iot_records_in_total{topic="data",partition="0"} 5',
      'iot_records_in_total{topic="data",partition="1"} 1',
      '# HELP iot_consumer_lag Messages behind.',
      '# TYPE iot_consumer_lag gauge',
      'iot_consumer_lag 40',
      '',
    ].join('\n'),
  );
  assert.equal(records.value({ topic: 'data', partition: 0 }), 5);
});

test('histograms render cumulative buckets, +Inf, sum and count', () => {
  const registry = new MetricsRegistry();
  const h = registry.histogram({
    name: 'iot_batch_size',
    help: 'Messages per batch.',
    labelNames: ['stage'],
    buckets: [1, 10, 100],
  });
  for (const v of [1, 5, 50, 500]) h.observe({ stage: 'ingest' }, v);
  assert.equal(
    registry.render(),
    [
      '# HELP iot_batch_size Messages per batch.',
      '# TYPE iot_batch_size histogram',
      'iot_batch_size_bucket{stage="ingest",le="1"} 1',
      'iot_batch_size_bucket{stage="ingest",le="10"} 2',
      'iot_batch_size_bucket{stage="ingest",le="100"} 3',
      'iot_batch_size_bucket{stage="ingest",le="+Inf"} 4',
      'iot_batch_size_sum{stage="ingest"} 556',
      'iot_batch_size_count{stage="ingest"} 4',
      '',
    ].join('\n'),
  );
});

test('unlabelled histograms and timers', () => {
  const registry = new MetricsRegistry();
  const h = registry.histogram({ name: 'iot_flush_seconds', help: 'Flush time.', buckets: [60] });
  const seconds = h.startTimer()();
  assert.ok(seconds >= 0 && seconds < 60);
  const text = registry.render();
  assert.match(text, /^iot_flush_seconds_bucket\{le="60"\} 1$/m);
  assert.match(text, /^iot_flush_seconds_count 1$/m);
});

test('label values and help text are escaped', () => {
  const registry = new MetricsRegistry();
  registry
    .counter({ name: 'x_total', help: 'back\\slash\nnewline', labelNames: ['v'] })
    .inc({ v: 'a"b\\c\nd' });
  const text = registry.render();
  assert.match(text, /^# HELP x_total back\\\\slash\\nnewline$/m);
  assert.ok(text.includes('x_total{v="a\\"b\\\\c\\nd"} 1'));
});

test('unlabelled metrics show zero before first use', () => {
  const registry = new MetricsRegistry();
  registry.counter({ name: 'iot_dlq_total', help: 'Messages sent to the DLQ.' });
  assert.match(registry.render(), /^iot_dlq_total 0$/m);
});

test('misuse fails loudly', () => {
  const registry = new MetricsRegistry();
  const c = registry.counter({ name: 'c_total', help: 'c', labelNames: ['a'] });
  assert.throws(() => c.inc(), /needs label a/);
  assert.throws(() => c.inc({ a: 1, b: 2 } as never), /has no label b/);
  assert.throws(() => c.inc({ a: 1 }, -1), /can only go up/);
  assert.throws(() => registry.counter({ name: 'c_total', help: 'again' }), /already registered/);
  assert.throws(() => registry.gauge({ name: 'bad-name', help: 'x' }), /invalid metric name/);
  assert.throws(
    () => registry.gauge({ name: 'g', help: 'x', labelNames: ['le'] }),
    /invalid label name/,
  );
  assert.throws(
    () => registry.histogram({ name: 'h', help: 'x', buckets: [2, 1] }),
    /must increase/,
  );
});

test('gauges with collect callbacks refresh at render; series can be removed', () => {
  const registry = new MetricsRegistry();
  let depth = 3;
  registry.gauge({ name: 'mailbox', help: 'm', collect: (g) => g.set(depth) });
  const owned = registry.gauge({ name: 'owned', help: 'o', labelNames: ['partition'] });
  owned.set({ partition: 1 }, 1);
  owned.set({ partition: 2 }, 1);
  owned.remove({ partition: 1 });
  assert.match(registry.render(), /^mailbox 3$/m);
  depth = 9;
  const text = registry.render();
  assert.match(text, /^mailbox 9$/m);
  assert.doesNotMatch(text, /partition="1"/);
  assert.match(text, /^owned\{partition="2"\} 1$/m);
});

test('process metrics are present', () => {
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry);
  const text = registry.render();
  for (const name of [
    'process_start_time_seconds',
    'process_resident_memory_bytes',
    'nodejs_heap_used_bytes',
    'process_cpu_seconds',
  ]) {
    assert.match(text, new RegExp(`^${name} \\d+(\\.\\d+)?$`, 'm'), name);
  }
});

test('a collect callback that resets reports only the series that exist now', () => {
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
  assert.match(registry.render(), /iot_x\{partition="1"\} 11/);
  owned = [0];
  const text = registry.render();
  assert.match(text, /iot_x\{partition="0"\} 10/);
  assert.doesNotMatch(text, /partition="1"/, 'a partition no longer owned is gone');
});
