// writer: aggregates and alerts → ClickHouse in batches (WRITER_BATCH_ROWS or
// WRITER_FLUSH_INTERVAL), idempotently; acks only after ClickHouse confirmed (docs/architecture.md, "Exactly once").
import { createClient } from '@clickhouse/client';
import { pulsarCredentials } from '@iot/config';
import { PartitionSupervisor } from '@iot/actors';
import { batchSource, publishAll } from '@iot/channel';
import { ClickHouseSink, classifyInsertError } from '@iot/clickhouse';
import { BatchTrace, startService, tracedSource, tracedStep } from '@iot/observability';
import { PulsarClient } from '@iot/pulsar';
import { backoffDelay, sleep } from '@iot/pulsar/backoff';
import { instanceName, outputProducer, partitionLoops, pulsarProbe } from '@iot/stage';
import { spec } from './config.ts';
import { tracedRowSink } from './traced-sink.ts';
import { REJECTED_REASON, WriteTask } from './write-task.ts';

const svc = await startService({ service: 'writer', spec });
const { config, log, metrics, readiness, health, shutdown } = svc;
readiness.set('processing', false, 'connecting');

const rowsOut = metrics.counter({
  name: 'writer_rows_total',
  help: 'Rows confirmed by ClickHouse, by table',
  labelNames: ['table'] as const,
});
const flushMs = metrics.histogram({
  name: 'writer_flush_seconds',
  help: 'Time from the first message of a batch to its ack',
});
const retries = metrics.counter({
  name: 'writer_retries_total',
  help: 'ClickHouse insert retries, by class of the transient error (connection, timeout, overload, other)',
  labelNames: ['class'] as const,
});
const dlqOut = metrics.counter({
  name: 'writer_dlq_total',
  help: 'Messages sent to the DLQ, by reason (bad_output_message, rejected_by_clickhouse)',
  labelNames: ['reason'] as const,
});

// The seed's JDBC URL names the database in its path (…:8123/benchmark).
const chUrl = new URL(config.CLICKHOUSE_URL);
const database = chUrl.pathname.replace(/^\/+|\/+$/g, '') || 'benchmark';
chUrl.pathname = '/';
const clickhouse = createClient({ url: chUrl.toString().replace(/\/$/, '') });
const sink = new ClickHouseSink(clickhouse, {
  database,
  ...(config.CLICKHOUSE_CLUSTER === undefined ? {} : { cluster: config.CLICKHOUSE_CLUSTER }),
});
shutdown.onStop('clickhouse', () => clickhouse.close(), { last: true });
// ClickHouse may come up after the writer (a restart of both, a node drain): wait for it with
// backoff, not readiness, instead of exiting into a crash loop. A connection error is the
// only thing worth waiting for; anything else (bad credentials, DDL refused) stops here.
for (let attempt = 1; ; attempt++) {
  try {
    await sink.ensureSchema();
    break;
  } catch (err) {
    const verdict = classifyInsertError(err);
    if (verdict.kind !== 'transient' || verdict.class !== 'connection') throw err;
    const delayMs = backoffDelay(attempt, { initialMs: 500, maxMs: 10_000 });
    readiness.set('clickhouse', false, String(err));
    log.warn('ClickHouse is not reachable yet; waiting for it before starting', {
      attempt,
      delayMs,
      err,
    });
    await sleep(delayMs);
  }
}

const client = new PulsarClient({
  serviceUrl: config.PULSAR_URL,
  ...pulsarCredentials(config),
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
        batchSource(inputs[i]!, (m) => ({ payload: m.payload, properties: m.properties })),
        trace,
      ),
      sink: tracedRowSink(sink, trace, inputs[i]!.topic),
      publishDlq: (ms) => publishAll(dlq, ms),
      batchSize: config.WRITER_BATCH_ROWS,
      flushIntervalMs: config.WRITER_FLUSH_INTERVAL,
      flushIdleMs: config.WRITER_FLUSH_IDLE,
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      retry: { initialMs: 200, maxMs: 10_000, jitter: 0.2 },
      onRetry: (attempt, err, delayMs, errorClass) => {
        retries.inc({ class: errorClass });
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
        rowsOut.inc({ table: 'sensor_aggregates' }, s.aggregates);
        rowsOut.inc({ table: 'sensor_alerts' }, s.alerts);
        dlqOut.inc({ reason: 'bad_output_message' }, s.malformed);
        dlqOut.inc({ reason: REJECTED_REASON }, s.rejected);
        flushMs.observe(s.ms / 1000);
      },
    });
    return { start: async () => {}, step: tracedStep(trace, () => task.step()) };
  },
  beforeRestart: (i) => inputs[i]!.redeliverUnacknowledged(),
  onEvent: (e) => {
    if (e.kind === 'failed') log.error('writer loop failed; restarting', { err: e.error });
  },
});
inputs.forEach((_, i) => supervisor.own(i));
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
readiness.set('processing', true);
log.info('consuming', { topics: [config.AGGREGATES_TOPIC, config.ALERTS_TOPIC], database });

shutdown.onStop('loops', () => supervisor.releaseAll());
shutdown.onStop('consumers', () => Promise.all(inputs.map((c) => c.close())));
shutdown.onStop('producers', () => dlq.close());
