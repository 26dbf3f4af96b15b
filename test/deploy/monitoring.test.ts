// The monitoring files in monitoring/: the alert rules pass `promtool check rules` and their
// own `promtool test rules` cases (each alert fires on the series it is about, not on healthy
// ones), and the Grafana dashboard is a dashboard whose every panel queries something.
// Whether the services export every metric these query: test/e2e/prometheus.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  alertQueries,
  alertsFile,
  dashboardPanels,
  dashboardQueries,
  metricNames,
} from '../support/monitoring.ts';
import { repoRoot } from '../support/stack.ts';

function promtool(...args: string[]): string {
  const run = spawnSync('promtool', args, { cwd: `${repoRoot}monitoring`, encoding: 'utf8' });
  assert.ok(
    run.error === undefined,
    `promtool is not installed (it comes with Debian's prometheus: npm run stack -- up prometheus): ${String(run.error)}`,
  );
  assert.equal(run.status, 0, `promtool ${args.join(' ')}:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

test('the alert rules pass promtool check rules', () => {
  assert.match(promtool('check', 'rules', alertsFile), /SUCCESS: 4 rules found/);
});

test('the alert rules pass their promtool unit tests (monitoring/alerts.test.yml)', () => {
  assert.match(promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
});

test('the alerts the issue asks for exist', () => {
  assert.deepEqual(
    alertQueries()
      .map((a) => a.alert)
      .sort(),
    ['IotBacklogGrowing', 'IotDlqRateHigh', 'IotNoRecentCheckpoint', 'IotStageNotReady'],
  );
});

test('the Grafana dashboard: unique panel ids, every panel queries a Prometheus expression', () => {
  const panels = dashboardPanels();
  assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
  for (const p of panels.filter((p) => p.type !== 'row')) {
    assert.ok((p.targets ?? []).length > 0, `panel "${p.title}" has a query`);
    for (const t of p.targets ?? []) assert.ok(t.expr.trim().length > 0, `${p.title} ${t.refId}`);
  }
  const queried = new Set(dashboardQueries().flatMap(metricNames));
  for (const name of ['iot_records_in_total', 'iot_consumer_backlog_messages', 'iot_dlq_total']) {
    assert.ok(queried.has(name), `the dashboard shows ${name}`);
  }
});

test('metricNames finds the metrics of an expression, not its functions, labels or keywords', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (stage, le) (rate(iot_batch_size_bucket{stage="x"}[5m])))',
    ),
    ['iot_batch_size_bucket'],
  );
  assert.deepEqual(
    metricNames('time() - max(iot_a > 0) > 3 * max(iot_b) and on() up{job="j"} == 0'),
    ['iot_a', 'iot_b', 'up'],
  );
});
