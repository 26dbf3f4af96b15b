import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, formatProgress, sumSamples, type Figures } from './progress.ts';

const metrics = `# HELP iot_rows_written_total Rows confirmed by ClickHouse, by table
# TYPE iot_rows_written_total counter
iot_rows_written_total{table="sensor_aggregates"} 1200
iot_rows_written_total{table="sensor_alerts"} 30
iot_rows_written_total_extra 5
iot_records_in_total 98765
`;

test('sumSamples adds every label set of one metric and nothing of longer names', () => {
  assert.equal(sumSamples(metrics, 'iot_rows_written_total'), 1230);
  assert.equal(sumSamples(metrics, 'iot_records_in_total'), 98765);
  assert.equal(sumSamples(metrics, 'absent_total'), 0);
  assert.equal(sumSamples(metrics, 'iot_rows_written_total', 'table="sensor_alerts"'), 30);
  assert.equal(sumSamples(metrics, 'iot_records_in_total', 'table="x"'), 0);
});

const fig = (over: Partial<Figures>): Figures => ({
  published: 0,
  aggregated: 0,
  rows: 0,
  backlog: 0,
  epoch: undefined,
  at: 0,
  ...over,
});

test('formatProgress shows the counts, the publish rate since the last reading, backlog and epoch', () => {
  const prev = fig({ published: 10_000, at: 1000 });
  const now = fig({
    published: 15_000,
    aggregated: 12_345,
    rows: 800,
    backlog: 2500,
    epoch: 3,
    at: 2000,
  });
  assert.equal(
    formatProgress(now, prev),
    'published 15,000 | aggregated 12,345 | rows 800 | 5,000 msg/s | backlog 2,500 | epoch 3',
  );
  assert.match(formatProgress(fig({}), undefined), /\| - msg\/s \|.*\| epoch -$/);
  // The broker restarted (its counter began again): no negative rate.
  assert.match(
    formatProgress(fig({ published: 3000, at: 2000 }), fig({ published: 150_000, at: 1000 })),
    /\| 3,000 msg\/s \|/,
  );
});

test('on a terminal the line refreshes in place; otherwise each update is a plain line', async () => {
  for (const isTTY of [true, false]) {
    let written = '';
    let published = 0;
    const p = new Progress({
      read: async () => fig({ published: (published += 100), at: published * 10 }),
      out: { write: (s: string) => (written += s), isTTY },
    });
    await p.update();
    await p.update();
    p.stop();
    await p.update(); // after stop: nothing more
    if (isTTY) {
      assert.equal(written.split('\r\x1b[K').length, 4, 'two draws and a final clear');
      assert.ok(!written.includes('\n'));
    } else {
      assert.equal(written.split('\n').length, 3);
      assert.ok(!written.includes('\r'));
    }
    assert.match(written, /published 200 \| .* \| 100 msg\/s/);
  }
});
