// Metrics end to end: the four services as processes (tools/harness registers each with the
// local stack's Prometheus through file-based discovery), a short generated stream, and then,
// through Prometheus's HTTP API: every service of the run was scraped and is up, and the
// counters agree with the input (ingest consumed every message, the aggregator every record
// ingest published, the DLQ by reason as the stream's bad input, the window rows written).
// The services' expositions also declare every metric the Grafana dashboard and the alert
// rules in monitoring/ query, and exactly the iot_ metrics the README's table lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineRun, type ServiceProcess } from '@iot/harness';
import { stack } from '../support/stack.ts';
import {
  alertQueries,
  dashboardQueries,
  exposedFamilies,
  exposedNames,
  metricNames,
  readmeMetrics,
} from '../support/monitoring.ts';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string): Promise<Sample[]> {
  const url = new URL('/api/v1/query', stack.prometheusUrl);
  url.searchParams.set('query', promql);
  const res = await fetch(url);
  const body = (await res.json()) as {
    status: string;
    data?: { result: Sample[] };
    error?: string;
  };
  assert.equal(body.status, 'success', `${promql}: ${body.error ?? res.status}`);
  return body.data!.result;
}

/** The single value of a query that sums to one series (0 when it has none yet). */
async function scalar(promql: string): Promise<number> {
  const [first] = await query(promql);
  return first === undefined ? 0 : Number(first.value[1]);
}

/** Retries `check` until it passes or `ms` ran out (Prometheus scrapes every 2 s). */
async function eventually(what: string, check: () => Promise<void>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function exposition(s: ServiceProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${String(s.httpPort)}/metrics`)).text();
}

test(
  'Prometheus scrapes every service of a run, and their counters agree with the input',
  { timeout: 300_000 },
  async () => {
    const ready = await fetch(new URL('/-/ready', stack.prometheusUrl)).catch((e: unknown) => e);
    assert.ok(
      ready instanceof Response && ready.ok,
      `Prometheus does not answer at ${stack.prometheusUrl} (start it: npm run stack -- up prometheus)`,
    );
    const run = await PipelineRun.create(stack, {
      prefix: 'e2e-prometheus',
      seed: 43,
      env: { CHECKPOINT_INTERVAL: '2s' },
    });
    const names = ['ingest', 'aggregator', 'writer', 'checkpointer'] as const;
    const services = names.map((n) => run.service(n));
    const sel = `job="iot-pipeline",run="${run.names.name}"`;
    try {
      await Promise.all(services.map((s) => s.start()));
      await eventually('every service of the run is a target and up', async () => {
        const up = await query(`up{${sel}}`);
        assert.deepEqual(
          up.map((s) => `${s.metric.service}=${s.value[1]}`).sort(),
          names.map((n) => `${n}=1`).sort(),
        );
      });
      const before = await scalar(`sum(iot_records_in_total{${sel},stage="ingest"})`);
      assert.equal(before, 0, 'nothing consumed before the stream starts');

      await run.produce(5_000);
      await run.assertExact();
      const { counts, rows } = run.expected;
      await eventually('the counters Prometheus scraped match the stream', async () => {
        assert.equal(
          await scalar(`sum(iot_records_in_total{${sel},stage="ingest"})`),
          counts.messages,
          'ingest: messages in',
        );
        const published = await scalar(`sum(iot_records_out_total{${sel},stage="ingest"})`);
        assert.equal(published, counts.records, 'ingest: records out');
        assert.equal(
          await scalar(`sum(iot_records_in_total{${sel},stage="aggregator"})`),
          published,
          'aggregator: records in',
        );
        assert.equal(
          await scalar(`sum(iot_rows_written_total{${sel},table="sensor_aggregates"})`),
          rows.length,
          'writer: window rows',
        );
        const dlq = await query(`sum by (reason) (iot_dlq_total{${sel}})`);
        assert.deepEqual(
          Object.fromEntries(
            dlq.map((s) => [s.metric.reason, Number(s.value[1])]).filter(([, n]) => n !== 0),
          ),
          counts.dlq,
          'DLQ by reason',
        );
        assert.ok(
          (await scalar(`max(iot_checkpoint_last_complete_epoch{${sel}})`)) > 0,
          'a checkpoint epoch completed',
        );
        assert.ok(
          (await scalar(`sum(iot_row_visible_latency_seconds_count{${sel}})`)) >= rows.length,
          'row-visible latency observed per row',
        );
      });

      // Every metric the dashboard and the alert rules query is one the services declare.
      const exported = new Set<string>(['up']);
      const ours = new Set<string>();
      for (const s of services) {
        const text = await exposition(s);
        for (const n of exposedNames(text)) exported.add(n);
        for (const n of exposedFamilies(text).keys()) if (n.startsWith('iot_')) ours.add(n);
      }
      // The README's table of metrics is the list the services declare, no more, no less.
      assert.deepEqual([...readmeMetrics()].sort(), [...ours].sort(), 'README, Observability');
      const queried = [...dashboardQueries(), ...alertQueries().map((a) => a.expr)];
      const missing = [...new Set(queried.flatMap(metricNames))].filter((n) => !exported.has(n));
      assert.deepEqual(missing, [], 'queried by monitoring/ but exported by no service');
    } finally {
      await run.cleanup();
    }
  },
);
