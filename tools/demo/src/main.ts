// `npm run demo`: the README's main job. The stack is up (the npm script runs `stack.sh up`
// first). This creates a run's own topics, starts ingest, aggregator, writer and the
// checkpointer as separate processes, publishes a generated AVRO stream (1,000 devices by
// default, event time ≈ wall clock, with some late, out-of-order, duplicate, legacy-JSON and
// malformed messages) while showing live progress from the services' /metrics and the Pulsar
// admin API, waits for the last windows to close, verifies ClickHouse row by row against the
// recomputed aggregates and the DLQ by reason, prints a summary (checkpoint epochs included)
// and stops the services (with --keep-running, not before Ctrl-C). It prints where to look
// meanwhile: the operations console, Zipkin (the services export traces there at the default
// sampling) and Prometheus (which scrapes them).
//
//   npm run demo -- [--duration 2m] [--rate 5000] [--devices 1000] [--partitions 4] [--seed 1]
//                   [--keep-running]
import { parseArgs } from 'node:util';
import { connect as natsConnect } from 'nats';
import { CheckpointStore, createS3Client } from '@iot/checkpoint-storage';
import { parseDuration } from '@iot/config';
import {
  usageFailure,
  WINDOW_MS,
  OUT_OF_ORDERNESS_MS,
  clientAuth,
  localServers,
  ClickHouseSink,
  ServiceProcess,
  clickhouse,
  createPipelineTopics,
  dlqByReason,
  produceStream,
  verifyRows,
  waitForRows,
  pipelineEnv,
  type RunServers,
} from '@iot/harness';
import { eventTimeBounds, resolveParams } from '@iot/loadgen';
import { PulsarAdmin, PulsarClient, type TopicStats } from '@iot/pulsar';
import { expectedFromParams } from '@iot/verify';
import { windowStart } from '@iot/windows';
import { Progress, sumSamples, type Figures } from './progress.ts';

const env = process.env;
const urls: RunServers = localServers();
const zipkinUrl = urls.zipkinUrl ?? 'http://127.0.0.1:9411';
const prometheusUrl = urls.prometheusUrl ?? 'http://127.0.0.1:9090';
const IDLE_TIMEOUT = '10s';
// Often enough that a two-minute demo completes several epochs (production default: 60 s).
const CHECKPOINT_INTERVAL = '10s';
const DATABASE = 'demo';

const fail = usageFailure('demo');

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        duration: { type: 'string', default: '2m' },
        rate: { type: 'string', default: '5000' },
        devices: { type: 'string', default: '1000' },
        partitions: { type: 'string', default: '4' },
        seed: { type: 'string', default: '1' },
        'keep-running': { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    return fail(`${(err as Error).message} (see the usage line in tools/demo/README.md)`);
  }
  const int = (name: keyof typeof values, min: number): number => {
    const n = Number(values[name]);
    if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  const duration = parseDuration(values.duration);
  if (duration === undefined || duration < WINDOW_MS) {
    fail(`--duration must be a duration of at least 1m, like 2m or 90s`);
  }
  return {
    durationMs: duration,
    rate: int('rate', 1),
    devices: int('devices', 1),
    partitions: int('partitions', 1),
    seed: int('seed', 0),
    keepRunning: values['keep-running'],
  };
}

const opts = options();
const startMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
const params = resolveParams({
  seed: opts.seed,
  devices: opts.devices,
  startMs,
  durationMs: opts.durationMs,
  ratePerSec: opts.rate,
  partitions: opts.partitions,
  maxOutOfOrdernessMs: OUT_OF_ORDERNESS_MS,
  shares: { late: 0.002, outOfOrder: 0.02, duplicate: 0.005, legacyJson: 0.01, malformed: 0.002 },
});
let progress: Progress | undefined;
const say = (line: string) => {
  progress?.clear();
  process.stderr.write(`demo: ${line}\n`);
};

say(
  `computing the expected aggregates of ${params.ratePerSec * (params.durationMs / 1000)} messages`,
);
const expected = expectedFromParams(params, { windowSizeMs: WINDOW_MS, listAlerts: false });
const auth = clientAuth(urls.credentials.admin);
const names = await createPipelineTopics(
  { adminUrl: urls.pulsarAdminUrl, ...auth.pulsar },
  'demo',
  opts.partitions,
  opts.partitions,
);
say(`topics ${names.source} (+ records, aggregates, alerts, dlq), ${opts.partitions} partitions`);

const serviceEnv = pipelineEnv({ ...names, database: DATABASE }, urls, {
  WINDOW_SIZE: '1m',
  MAX_OUT_OF_ORDERNESS: `${OUT_OF_ORDERNESS_MS}ms`,
  WATERMARK_IDLE_TIMEOUT: IDLE_TIMEOUT,
  CHECKPOINT_INTERVAL,
  // Traces to the stack's Zipkin, at the services' default sampling (1 % of ingest batches).
  OTEL_TRACES_EXPORTER: 'zipkin',
  OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkinUrl}/api/v2/spans`,
});
const services = (['ingest', 'aggregator', 'writer', 'checkpointer'] as const).map(
  (s) => new ServiceProcess(s, serviceEnv),
);
const [, aggregator, writer, checkpointer] = services as [
  ServiceProcess,
  ServiceProcess,
  ServiceProcess,
  ServiceProcess,
];
const admin = new PulsarAdmin({ adminUrl: urls.pulsarAdminUrl, ...auth.pulsar, timeoutMs: 2000 });
const store = new CheckpointStore({
  s3: createS3Client({
    endpoint: urls.s3Endpoint,
    region: env.S3_REGION ?? 'us-east-1',
    accessKeyId: env.S3_ACCESS_KEY ?? 'local-access-key',
    secretAccessKey: env.S3_SECRET_KEY ?? 'local-secret-key',
    forcePathStyle: true,
  }),
  bucket: urls.s3Bucket,
  prefix: names.name,
});

async function scrape(s: ServiceProcess): Promise<string> {
  if (s.httpPort === undefined) return '';
  const res = await fetch(`http://127.0.0.1:${s.httpPort}/metrics`, {
    signal: AbortSignal.timeout(2000),
  });
  return res.text();
}
const backlogOf = (t: TopicStats, subscription: string) =>
  t.subscriptions[subscription]?.msgBacklog ?? 0;

/** The pipeline's own figures: its services' counters and the broker's counts. */
async function readFigures(): Promise<Figures> {
  const [aggText, writerText, checkpointText, source, records, aggregates, alerts] =
    await Promise.all([
      scrape(aggregator),
      scrape(writer),
      scrape(checkpointer),
      admin.getPartitionedStats(names.source, false),
      admin.getPartitionedStats(names.records, false),
      admin.getTopicStats(names.aggregates),
      admin.getTopicStats(names.alerts),
    ]);
  const epoch = sumSamples(checkpointText, 'iot_checkpoint_last_complete_epoch');
  return {
    published: source.msgInCounter ?? 0,
    aggregated: sumSamples(aggText, 'iot_records_in_total', 'stage="aggregator"'),
    // Window rows (alerts are written as they come, so they would run ahead).
    rows: sumSamples(writerText, 'iot_rows_written_total', 'table="sensor_aggregates"'),
    // The services' default subscription names (the run's topics are its own).
    backlog:
      backlogOf(source, 'iot-ingest') +
      backlogOf(records, 'iot-aggregator') +
      backlogOf(aggregates, 'iot-writer') +
      backlogOf(alerts, 'iot-writer'),
    epoch: epoch > 0 ? epoch : undefined,
    at: Date.now(),
  };
}
const client = new PulsarClient({ serviceUrl: urls.pulsarUrl, ...auth.pulsar });
const ch = clickhouse(urls.clickhouseUrl, auth.clickhouse);
const sink = new ClickHouseSink(ch, { database: DATABASE });
// The demo's own database, emptied at every run so its windows hold this run's rows only.
await ch.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` });
// Every window the stream can touch: out-of-order and late readings reach back before startMs.
const bounds = eventTimeBounds(params);
const range = { fromMs: windowStart(bounds.fromMs, WINDOW_MS), toMs: bounds.toMs + WINDOW_MS };
let exitCode = 1;
try {
  await Promise.all(services.map((s) => s.start()));
  say(`services up; logs: ${services.map((s) => s.logFile).join(' ')}`);
  say(
    `ops endpoints (/metrics /healthz /readyz): ${services
      .map((s) => `${s.service} http://127.0.0.1:${s.httpPort ?? '?'}`)
      .join(', ')}`,
  );
  for (const line of whereToLook()) say(line);
  progress = new Progress({ read: readFigures, out: process.stdout });
  progress.start();

  const t0 = Date.now();
  const sent = await produceStream(client, names.source, params, opts.rate);
  const produceMs = Date.now() - t0;
  say(
    `published ${sent} messages in ${(produceMs / 1000).toFixed(1)} s; waiting for the last windows`,
  );

  const rows = await waitForRows(sink, expected.rows.length, 5 * 60_000, range);
  const lastRowMs = Date.now();
  await progress.update();
  progress.stop();
  const checkpoints = await checkpointSummary();
  const { exact, report } = await verifyRows(sink, expected, range);
  const wantDlq = Object.values(expected.counts.dlq).reduce((a, b) => a + b, 0);
  const dlq = await dlqByReason(client, names.dlq, wantDlq);
  const dlqTotal = Object.values(dlq).reduce((a, b) => a + b, 0);
  const dlqExact = JSON.stringify(sortKeys(dlq)) === JSON.stringify(sortKeys(expected.counts.dlq));

  const table: [string, string][] = [
    ['messages in', String(sent)],
    ['records aggregated', String(expected.counts.records)],
    ['rows written (FINAL)', `${rows} of ${expected.rows.length} expected`],
    ['DLQ entries', `${dlqTotal} (${formatCounts(dlq)})`],
    ['late', String(dlq.late ?? 0)],
    ['publish rate', `${Math.round(sent / (produceMs / 1000))} msg/s`],
    ['end-to-end rate', `${Math.round(sent / ((lastRowMs - t0) / 1000))} msg/s`],
    // The last window closes once the input idled for WATERMARK_IDLE_TIMEOUT.
    ['last row after last message', `${((lastRowMs - t0 - produceMs) / 1000).toFixed(1)} s`],
    ['verify rows', report.split('\n')[0]!],
    ['verify DLQ', dlqExact ? 'exact' : `expected ${formatCounts(expected.counts.dlq)}`],
    ['checkpoint epochs', checkpoints],
  ];
  const width = Math.max(...table.map(([k]) => k.length));
  process.stdout.write(table.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n');
  if (!exact) process.stdout.write(report + '\n');
  process.stdout.write(`list them: CHECKPOINT_S3_PREFIX=${names.name} npx iotctl epochs\n`);
  exitCode = exact && dlqExact ? 0 : 1;
  if (opts.keepRunning) {
    for (const line of whereToLook()) say(line);
    say('--keep-running: the services keep running; Ctrl-C stops them');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} finally {
  progress?.stop();
  const codes = await Promise.all(services.map((s) => s.stop()));
  if (codes.some((c) => c !== 0))
    say(`a service did not stop cleanly: exit codes ${codes.join(', ')}`);
  await client.close();
  await ch.close();
  store.s3.destroy();
  await dropLeaseBucket();
}
process.exit(exitCode);

/** The pages to open while the demo runs. */
function whereToLook(): string[] {
  const query = `sum by (stage) (rate(iot_records_in_total{run="${names.name}"}[30s]))`;
  return [
    `console: http://127.0.0.1:${checkpointer.httpPort ?? '?'}/console`,
    `traces:  ${zipkinUrl}/zipkin/ (services ingest, aggregator, writer, checkpointer)`,
    `metrics: ${prometheusUrl}/graph?g0.expr=${encodeURIComponent(query)}&g0.tab=0 ` +
      `(this run's series carry run="${names.name}"; dashboard: monitoring/grafana-dashboard.json)`,
  ];
}

/** Epochs the checkpointer completed (its counter) and those retention kept in S3. */
async function checkpointSummary(): Promise<string> {
  const text = await scrape(checkpointer).catch(() => '');
  const completed = sumSamples(text, 'iot_checkpoint_epochs_total', 'result="complete"');
  const kept = (await store.listComplete()).filter((m) => m.kind === 'checkpoint');
  const keptText = kept.length === 0 ? 'none' : kept.map((m) => m.epoch).join(', ');
  return `${completed} completed every ${CHECKPOINT_INTERVAL}; kept in S3: epoch ${keptText}`;
}

/** The run's checkpointer lease lives in a JetStream KV bucket of its own: remove it. */
async function dropLeaseBucket(): Promise<void> {
  const nc = await natsConnect({ servers: urls.natsUrl }).catch(() => undefined);
  if (nc === undefined) return;
  const bucket = serviceEnv.CHECKPOINT_LEASE_BUCKET;
  await (await nc.jetstreamManager()).streams.delete(`KV_${bucket}`).catch(() => false);
  await nc.close();
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function formatCounts(o: Record<string, number>): string {
  return (
    Object.entries(sortKeys(o))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  );
}
