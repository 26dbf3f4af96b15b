// writer: aggregates and alerts → ClickHouse in batches (WRITER_BATCH_ROWS or
// WRITER_FLUSH_INTERVAL), idempotently; acks only after ClickHouse confirmed (docs/architecture.md, "Exactly once").
import { createClient } from '@clickhouse/client';
import { clickhouseConnection, pulsarCredentials } from '@iot/config';
import { PartitionSupervisor } from '@iot/actors';
import { batchSource, publishAll } from '@iot/channel';
import { ClickHouseSink, classifyInsertError } from '@iot/clickhouse';
import {
  BatchTrace,
  startService,
  tracedSource,
  tracedStep,
  whenReachable,
} from '@iot/observability';
import { PulsarAdmin, PulsarClient } from '@iot/pulsar';
import {
  announceOnControlPlane,
  BacklogMonitor,
  StageMetrics,
  instanceName,
  outputProducer,
  partitionLoops,
  pulsarProbe,
} from '@iot/stage';
import { spec } from './config.ts';
import { measuredRowSink } from './measured-sink.ts';
import { tracedRowSink } from './traced-sink.ts';
import { REJECTED_REASON, WriteTask } from './write-task.ts';

const svc = await startService({ service: 'writer', spec });
const { config, log, metrics, readiness, health, shutdown } = svc;
readiness.set('processing', false, 'connecting');

const stageMetrics = new StageMetrics(metrics, 'writer');
const rowsWritten = metrics.counter({
  name: 'iot_rows_written_total',
  help: 'Rows confirmed by ClickHouse, by table (sensor_aggregates: window rows; sensor_alerts)',
  labelNames: ['table'] as const,
});
const rowVisible = metrics.histogram({
  name: 'iot_row_visible_latency_seconds',
  help: 'Window close (the aggregator published its row) to the row confirmed by ClickHouse',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
});

// The seed's JDBC URL names the database in its path (…:8123/benchmark).
const chAt = clickhouseConnection(config);
const chUrl = new URL(chAt.url);
const database = chUrl.pathname.replace(/^\/+|\/+$/g, '') || 'benchmark';
chUrl.pathname = '/';
const clickhouse = createClient({ ...chAt, url: chUrl.toString().replace(/\/$/, '') });
const sink = new ClickHouseSink(clickhouse, {
  database,
  ...(config.CLICKHOUSE_CLUSTER === undefined ? {} : { cluster: config.CLICKHOUSE_CLUSTER }),
});
const measured = measuredRowSink(sink, metrics);
shutdown.onStop('clickhouse', () => clickhouse.close(), { last: true });
// ClickHouse may come up after the writer (a restart of both, a node drain): it waits for it
// (whenReachable). A connection error is the only thing worth waiting for; anything else (bad
// credentials, DDL refused) stops here.
try {
  await whenReachable(
    svc,
    {
      check: 'clickhouse',
      what: 'ClickHouse',
      transient: (err) => {
        const verdict = classifyInsertError(err);
        return verdict.kind === 'transient' && verdict.class === 'connection';
      },
    },
    () => sink.ensureSchema(),
  );
} catch (err) {
  // One line an operator can act on (the logger redacts it), not a stack on stderr.
  log.error(
    `ClickHouse refused the writer's schema setup: ${svc.redact(String(err)).trim()} ` +
      '(check CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD and its rights)',
  );
  await shutdown.stop('clickhouse refused', 1);
  throw err; // stop() has exited the process; this only satisfies the type checker
}

const client = new PulsarClient({
  serviceUrl: config.PULSAR_URL,
  ...pulsarCredentials(config),
  // Partitions added to the aggregates and alerts topics are consumed too.
  partitionsRefreshMs: config.PULSAR_PARTITIONS_REFRESH,
});
shutdown.onStop('pulsar', () => client.close(), { last: true });
const dlq = await outputProducer(client, config.DLQ_TOPIC, 'round-robin');
// Shared: writers hold no state, so any number of replicas split the load.
const inputs = await Promise.all(
  [config.AGGREGATES_TOPIC, config.ALERTS_TOPIC].map((topic) =>
    client.subscribe({
      topic,
      subscription: config.PULSAR_SUBSCRIPTION,
      type: 'Shared',
      initialPosition: 'Earliest',
      consumerName: instanceName('writer'),
      // Envelopes (one per aggregator micro-batch and topic), not rows: a short queue.
      receiverQueueSize: 64,
    }),
  ),
);

const supervisor = new PartitionSupervisor<number>({
  create: (i) => {
    // One span per insert batch, child of the first sampled envelope it consumed and linked
    // to the others, so a trace goes on from the aggregator to the ClickHouse insert.
    const trace = new BatchTrace(svc.tracer, 'writer batch', { upstream: 'parent' });
    const task = new WriteTask({
      source: tracedSource(
        batchSource(inputs[i]!, (m) => ({
          payload: m.payload,
          properties: m.properties,
          publishTime: m.publishTime,
        })),
        trace,
      ),
      sink: tracedRowSink(measured, trace, inputs[i]!.topic),
      publishDlq: (ms) => publishAll(dlq, ms),
      batchSize: config.WRITER_BATCH_ROWS,
      flushIntervalMs: config.WRITER_FLUSH_INTERVAL,
      flushIdleMs: config.WRITER_FLUSH_IDLE,
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      retry: { initialMs: 200, maxMs: 10_000, jitter: 0.2 },
      onRetry: (attempt, err, delayMs, errorClass) => {
        readiness.set('clickhouse-insert', false, String(err));
        log.warn('ClickHouse insert failed; retrying (Pulsar keeps the batch)', {
          class: errorClass,
          attempt,
          delayMs,
          err,
        });
      },
      onRejected: (table, detail) => {
        log.warn('ClickHouse refused a row; it goes to the DLQ', { table, detail });
      },
      onFlush: (s) => {
        trace.end(() => ({
          'iot.rows': s.aggregates,
          'iot.alerts': s.alerts,
          'iot.malformed': s.malformed,
          'iot.rejected': s.rejected,
        }));
        readiness.set('clickhouse-insert', true);
        const items = s.aggregates + s.alerts + s.malformed + s.rejected;
        stageMetrics.batch(0, items, s.ms / 1000);
        stageMetrics.out(s.aggregates + s.alerts);
        stageMetrics.toDlq('bad_output_message', s.malformed);
        stageMetrics.toDlq(REJECTED_REASON, s.rejected);
        rowsWritten.inc({ table: 'sensor_aggregates' }, s.aggregates);
        rowsWritten.inc({ table: 'sensor_alerts' }, s.alerts);
        const visibleAt = Date.now();
        for (const { at, rows } of s.windowsClosedAt) {
          for (let r = 0; r < rows; r++) rowVisible.observe(Math.max(0, visibleAt - at) / 1000);
        }
      },
    });
    return { start: async () => {}, step: tracedStep(trace, () => task.step()) };
  },
  beforeRestart: (i) => inputs[i]!.redeliverUnacknowledged(),
  onEvent: (e) => {
    if (e.kind === 'failed') {
      stageMetrics.restarted();
      log.error('writer loop failed; restarting', { err: e.error });
    }
  },
});
inputs.forEach((_, i) => supervisor.own(i));
stageMetrics.ownedPartitions(() => supervisor.owned.length);
// The inputs' subscription backlog (Shared: every writer reports the same figure).
const admin = new PulsarAdmin({
  adminUrl: config.PULSAR_ADMIN_URL,
  ...pulsarCredentials(config),
  timeoutMs: 5000,
});
for (const topic of [config.AGGREGATES_TOPIC, config.ALERTS_TOPIC]) {
  const monitor = new BacklogMonitor({
    admin,
    topic,
    partitioned: (await client.getPartitionCount(topic)) > 0,
    subscription: config.PULSAR_SUBSCRIPTION,
    onError: (err) => log.warn('cannot read the subscription backlog', { topic, err }),
  }).start();
  stageMetrics.watchBacklog(monitor);
  shutdown.onStop(`backlog ${topic}`, () => monitor.stop());
}
// Health and readiness: loops with waiting input must progress; dependencies must answer.
health.watchLoops(
  partitionLoops(supervisor, {
    backlog: (i) => inputs[i]?.queuedMessages ?? 0,
    name: (i) => `input ${inputs[i]?.topic ?? i}`,
  }),
);
void readiness.watch('pulsar', pulsarProbe([...inputs, dlq]));
void readiness.watch('clickhouse', async () => {
  const ping = await clickhouse.ping();
  if (!ping.success) throw ping.error;
  return true;
});
// Listed by the operations console and `iotctl status`: heartbeats only, no partitions.
const announcement = announceOnControlPlane(
  config,
  () => ({
    service: 'writer',
    instance: instanceName('writer'),
    partitions: [],
    lastEpoch: -1,
    suspended: false,
    ops: svc.opsUrl,
    sentAt: Date.now(),
  }),
  log,
);
shutdown.onStop('announcement', () => announcement.close(), { last: true });
readiness.set('processing', true);
log.info('consuming', { topics: [config.AGGREGATES_TOPIC, config.ALERTS_TOPIC], database });

shutdown.onStop('loops', () => supervisor.releaseAll());
shutdown.onStop('consumers', () => Promise.all(inputs.map((c) => c.close())));
shutdown.onStop('producers', () => dlq.close());
