import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceMetrics } from './instance-metrics.ts';
import { METRIC } from './metric-names.ts';
import { parsePrometheusText } from './prometheus-text.ts';

test('an aggregator: records in per partition, out, alerts by kind, backlog, watermark, lag', () => {
  const m = instanceMetrics(
    parsePrometheusText(
      [
        `${METRIC.recordsIn}{stage="aggregator",partition="0"} 100`,
        `${METRIC.recordsIn}{stage="aggregator",partition="1"} 50`,
        `${METRIC.recordsOut}{stage="aggregator"} 7`,
        `${METRIC.alerts}{kind="temperature_high"} 3`,
        `${METRIC.alerts}{kind="battery_low"} 1`,
        `${METRIC.backlog}{stage="aggregator",topic="t",partition="1"} 9`,
        `${METRIC.watermark}{stage="aggregator",partition="0"} 1767225600`,
        `${METRIC.eventTimeLag}{stage="aggregator",partition="0"} 2.5`,
        `${METRIC.openWindows}{partition="0"} 40`,
        `${METRIC.ownedPartitions}{stage="aggregator"} 2`,
        `${METRIC.suspended} 1`,
        'aggregator_records_total 150',
      ].join('\n'),
    ),
  );
  assert.equal(m.recordsIn, 150);
  assert.deepEqual(m.recordsInByPartition, { '0': 100, '1': 50 });
  assert.equal(m.recordsOut, 7);
  assert.deepEqual(m.alerts, { temperature_high: 3, battery_low: 1 });
  assert.deepEqual(m.backlog, { '1': 9 });
  assert.deepEqual(m.watermarkSeconds, { '0': 1767225600 });
  assert.deepEqual(m.eventTimeLagSeconds, { '0': 2.5 });
  assert.deepEqual(m.openWindows, { '0': 40 });
  assert.equal(m.ownedPartitions, 2);
  assert.equal(m.suspended, true);
  assert.equal(m.checkpoint, undefined, 'no checkpoint metrics, no checkpoint facts');
});

test('the checkpointer: last epoch, when, size, epochs by result; DLQ by stage and reason', () => {
  const m = instanceMetrics(
    parsePrometheusText(
      [
        `${METRIC.lastEpoch} 12`,
        `${METRIC.lastEpochAt} 1767225600.5`,
        `${METRIC.lastEpochBytes} 2048`,
        `${METRIC.epochs}{kind="checkpoint",result="complete"} 10`,
        `${METRIC.epochs}{kind="savepoint",result="complete"} 2`,
        `${METRIC.epochs}{kind="checkpoint",result="abandoned"} 1`,
        `${METRIC.dlq}{stage="writer",reason="rejected_by_clickhouse"} 4`,
      ].join('\n'),
    ),
  );
  assert.deepEqual(m.checkpoint, {
    lastEpoch: 12,
    lastCompleteAt: 1767225600.5,
    lastBytes: 2048,
    epochs: { complete: 12, abandoned: 1 },
  });
  assert.deepEqual(m.dlq, [{ stage: 'writer', reason: 'rejected_by_clickhouse', total: 4 }]);
});
