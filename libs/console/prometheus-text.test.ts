import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsFormatError, parsePrometheusText } from './prometheus-text.ts';

test('samples with labels, escapes, special values and timestamps; comments skipped', () => {
  const text = [
    '# HELP iot_dlq_total Messages sent to the DLQ',
    '# TYPE iot_dlq_total counter',
    'iot_dlq_total{stage="ingest",reason="bad \\"json\\"\\\\ x\\n"} 12',
    'iot_checkpoint_last_complete_epoch 42 1700000000000',
    'process_cpu_seconds_total 1.5e3',
    'iot_event_time_lag_seconds{stage="aggregator",partition="0",} +Inf',
    'x_bucket{le="NaN"} NaN',
    '',
  ].join('\n');
  const samples = parsePrometheusText(text);
  assert.deepEqual(samples.slice(0, 3), [
    { name: 'iot_dlq_total', labels: { stage: 'ingest', reason: 'bad "json"\\ x\n' }, value: 12 },
    { name: 'iot_checkpoint_last_complete_epoch', labels: {}, value: 42 },
    { name: 'process_cpu_seconds_total', labels: {}, value: 1500 },
  ]);
  assert.equal(samples[3]?.value, Infinity);
  assert.deepEqual(samples[3]?.labels, { stage: 'aggregator', partition: '0' });
  assert.ok(Number.isNaN(samples[4]?.value));
});

test('a broken line is refused with its line number', () => {
  assert.throws(
    () => parsePrometheusText('ok 1\niot_x{stage="a} 1'),
    (err: unknown) => err instanceof MetricsFormatError && /line 2/.test(err.message),
  );
  assert.throws(() => parsePrometheusText('iot_x abc'), /bad value "abc"/);
});
