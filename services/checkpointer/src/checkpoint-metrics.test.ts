import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from '@iot/observability';
import { CheckpointMetrics } from './checkpoint-metrics.ts';

/** `name{labels} value` lines of one metric family from the text format. */
async function lines(registry: MetricsRegistry, name: string): Promise<string[]> {
  const text = await registry.render();
  return text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
}

test('a complete epoch sets the last epoch, its size and time; an abandoned one only counts', async () => {
  const registry = new MetricsRegistry();
  const m = new CheckpointMetrics(registry, 10_000, () => 1_800_000_000_000);
  m.epochDone('checkpoint', 'complete', 1.5, 2048, 7);
  m.epochDone('checkpoint', 'abandoned', 60, 0, 8);
  m.epochDone('savepoint', 'complete', 0.5, 1024, 9);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_epochs_total'), [
    'iot_checkpoint_epochs_total{kind="checkpoint",result="complete"} 1',
    'iot_checkpoint_epochs_total{kind="checkpoint",result="abandoned"} 1',
    'iot_checkpoint_epochs_total{kind="savepoint",result="complete"} 1',
  ]);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_last_complete_epoch'), [
    'iot_checkpoint_last_complete_epoch 9',
  ]);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_bytes_total'), [
    'iot_checkpoint_bytes_total 3072',
  ]);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_last_epoch_bytes'), [
    'iot_checkpoint_last_epoch_bytes 1024',
  ]);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_last_complete_timestamp_seconds'), [
    'iot_checkpoint_last_complete_timestamp_seconds 1800000000',
  ]);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_interval_seconds'), [
    'iot_checkpoint_interval_seconds 10',
  ]);
});

test('at start, the newest epoch in the store gives the last epoch and its age', async () => {
  const registry = new MetricsRegistry();
  const m = new CheckpointMetrics(registry, 10_000);
  m.startFrom({
    epoch: 41,
    startedAt: '2026-11-26T10:00:00.000Z',
    completedAt: '2026-11-26T10:00:02.000Z',
    kind: 'checkpoint',
    parts: [
      { service: 'ingest', partition: 0, key: 'a', bytes: 100, sha256: '00' },
      { service: 'aggregator', partition: 0, key: 'b', bytes: 250, sha256: '00' },
    ],
  });
  m.leader(true);
  m.expired(3);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_last_complete_epoch'), [
    'iot_checkpoint_last_complete_epoch 41',
  ]);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_last_complete_timestamp_seconds'), [
    `iot_checkpoint_last_complete_timestamp_seconds ${Date.parse('2026-11-26T10:00:02.000Z') / 1000}`,
  ]);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_last_epoch_bytes'), [
    'iot_checkpoint_last_epoch_bytes 350',
  ]);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_leader'), ['iot_checkpoint_leader 1']);
  assert.deepEqual(await lines(registry, 'iot_checkpoint_expired_epochs_total'), [
    'iot_checkpoint_expired_epochs_total 3',
  ]);
});
