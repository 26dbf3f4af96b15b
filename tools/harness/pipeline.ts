// Pieces the end-to-end tests share: a private set of topics, a ClickHouse database and a
// Redis namespace per run; producing a generated stream; waiting for and checking results.
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { PROP } from '@iot/channel';
import { ClickHouseSink, type AggregateFilter } from '@iot/clickhouse';
import { generateStream, type GeneratorParams } from '@iot/loadgen';
import { PulsarAdmin, type PulsarClient } from '@iot/pulsar';
import { compareRows, formatComparison, isClean, type Expected } from '@iot/verify';
import { credentialEnv, type StackCredentials } from './credentials.ts';

export interface PipelineNames {
  name: string;
  source: string;
  records: string;
  aggregates: string;
  alerts: string;
  dlq: string;
  database: string;
}

/** A name no other run uses, for topics, databases and key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function createPipelineTopics(
  admin: { adminUrl: string; authToken: string },
  prefix: string,
  sourcePartitions: number,
  recordsPartitions: number,
): Promise<PipelineNames> {
  const name = uniqueName(prefix);
  const topic = (t: string) => `persistent://public/default/${name}-${t}`;
  const names: PipelineNames = {
    name,
    source: topic('data'),
    records: topic('records'),
    aggregates: topic('aggregates'),
    alerts: topic('alerts'),
    dlq: topic('dlq'),
    database: name.replaceAll('-', '_'),
  };
  const pulsarAdmin = new PulsarAdmin(admin);
  await pulsarAdmin.createPartitionedTopic(names.source, sourcePartitions);
  await pulsarAdmin.createPartitionedTopic(names.records, recordsPartitions);
  for (const t of [names.aggregates, names.alerts, names.dlq]) await pulsarAdmin.createTopic(t);
  return names;
}

/** Sends produceStream lets be outstanding before it waits for the oldest. */
const MAX_SENDS_IN_FLIGHT = 5_000;

/** How produceStream's producers behave when the broker goes away. */
export interface StreamProducerOptions {
  /** 0 = never fail a send: resend after reconnecting (default: the client's 30 s). */
  sendTimeoutMs?: number;
  /**
   * Producer names `<name>-<partition>`: with deduplication on the source topic, what a
   * broker crash made us resend is stored once.
   */
  name?: string;
}

/**
 * Publishes the generated stream, each message to the partition the generator chose, in
 * order; paced to `ratePerSec` of wall-clock time when given (so a run lasts long enough to
 * kill processes in the middle of it).
 */
export async function produceStream(
  client: PulsarClient,
  source: string,
  params: GeneratorParams,
  ratePerSec?: number,
  producer: StreamProducerOptions = {},
): Promise<number> {
  const producers = await Promise.all(
    Array.from({ length: params.partitions }, (_, p) =>
      client.createProducer({
        topic: `${source}-partition-${p}`,
        batching: { maxMessages: 500, maxBytes: 256 * 1024, maxDelayMs: 5 },
        blockIfQueueFull: true,
        ...(producer.sendTimeoutMs === undefined ? {} : { sendTimeoutMs: producer.sendTimeoutMs }),
        ...(producer.name === undefined ? {} : { producerName: `${producer.name}-${p}` }),
      }),
    ),
  );
  const started = Date.now();
  // Sends in flight as a ring: message n reuses slot n % MAX_SENDS_IN_FLIGHT once the send
  // there (the oldest outstanding one) has finished, so memory stays bounded on long runs.
  const sends: Promise<unknown>[] = [];
  let n = 0;
  for (const m of generateStream(params)) {
    const slot = n % MAX_SENDS_IN_FLIGHT;
    if (n >= MAX_SENDS_IN_FLIGHT) await sends[slot];
    sends[slot] = producers[m.partition]!.send({
      payload: m.payload,
      key: m.key,
      eventTime: m.eventTime,
    });
    n++;
    if (ratePerSec !== undefined && n % 100 === 0) {
      const ahead = (n / ratePerSec) * 1000 - (Date.now() - started);
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
  }
  await Promise.all(sends);
  await Promise.all(producers.map((p) => p.close()));
  return n;
}

/** A ClickHouse client as `auth` (the admin identity for setup and checks). */
export function clickhouse(
  url: string,
  auth: { username: string; password: string },
): ClickHouseClient {
  return createClient({ url, ...auth });
}

/** Waits until ClickHouse holds `rows` rows (FINAL) or the time is up; returns the count. */
export async function waitForRows(
  sink: ClickHouseSink,
  rows: number,
  ms: number,
  filter: AggregateFilter = {},
): Promise<number> {
  const deadline = Date.now() + ms;
  let count = await sink.countAggregatesFinal(filter);
  while (count < rows && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    count = await sink.countAggregatesFinal(filter);
  }
  return count;
}

/** Row-by-row comparison with the verifier: whether it is exact, and its report. */
export async function verifyRows(
  sink: ClickHouseSink,
  expected: Expected,
  filter: AggregateFilter = {},
): Promise<{ exact: boolean; report: string }> {
  const comparison = compareRows(expected.rows, await sink.readAggregatesFinal(filter));
  return { exact: isClean(comparison), report: formatComparison(comparison) };
}

/** DLQ entries by reason, each origin counted once (a replay may publish one twice). */
export async function dlqByReason(
  client: PulsarClient,
  dlq: string,
  want: number,
  ms = 20_000,
): Promise<Record<string, number>> {
  const reader = await client.subscribe({
    topic: dlq,
    subscription: uniqueName('dlq-check'),
    type: 'Exclusive',
    initialPosition: 'Earliest',
  });
  const seen = new Map<string, string>();
  const deadline = Date.now() + ms;
  // Read until `want` origins were seen and then nothing more came for 2 s (extras count too).
  let quietSince = Date.now();
  try {
    while (Date.now() < deadline && (seen.size < want || Date.now() - quietSince < 2_000)) {
      const batch = await reader.receiveBatch(1000, 500);
      if (batch.length > 0) quietSince = Date.now();
      for (const m of batch) {
        seen.set(
          `${m.properties[PROP.originPartition]}/${m.properties[PROP.originPosition]}`,
          m.properties[PROP.reason] ?? '',
        );
      }
    }
  } finally {
    await reader.close();
  }
  const byReason: Record<string, number> = {};
  for (const r of seen.values()) byReason[r] = (byReason[r] ?? 0) + 1;
  return byReason;
}

export { ClickHouseSink };

/** Where the servers are, for `pipelineEnv`. */
export interface ServerUrls {
  pulsarUrl: string;
  pulsarAdminUrl: string;
  clickhouseUrl: string;
  redisUrl: string;
  natsUrl: string;
  s3Endpoint: string;
  s3Bucket: string;
  /** Who connects: the admin for the harness itself, `services` for the services. */
  credentials: StackCredentials;
  /** Seed nodes of a Redis Cluster (`host:port,…`): the state lives there instead of redisUrl. */
  redisClusterNodes?: string | undefined;
  /** A cluster of clickhouseUrl's remote_servers: replicated tables behind a Distributed one. */
  clickhouseCluster?: string | undefined;
}

/**
 * The services' environment for one run: its topics, database, Redis namespace, and its own
 * checkpoint folder, control-plane subjects and lease bucket, so a run never restores or
 * answers anything of another. `extra` overrides (window size, timeouts, …).
 */
export function pipelineEnv(
  names: PipelineNames,
  urls: ServerUrls,
  extra: Record<string, string> = {},
): Record<string, string> {
  const id = names.name.replaceAll('-', '_');
  return {
    // The services' own identity, never the caller's (the shell may hold the admin's).
    ...credentialEnv(urls.credentials.services),
    PULSAR_URL: urls.pulsarUrl,
    PULSAR_ADMIN_URL: urls.pulsarAdminUrl,
    PULSAR_TOPIC: names.source,
    RECORDS_TOPIC: names.records,
    AGGREGATES_TOPIC: names.aggregates,
    ALERTS_TOPIC: names.alerts,
    DLQ_TOPIC: names.dlq,
    CLICKHOUSE_URL: `${urls.clickhouseUrl}/${names.database}`,
    REDIS_URL: urls.redisUrl,
    STATE_NAMESPACE: names.name,
    NATS_URL: urls.natsUrl,
    S3_ENDPOINT: urls.s3Endpoint,
    S3_BUCKET: urls.s3Bucket,
    CHECKPOINT_S3_PREFIX: names.name,
    CONTROL_SUBJECT_PREFIX: id,
    CHECKPOINT_LEASE_BUCKET: id,
    ...(urls.redisClusterNodes ? { REDIS_CLUSTER_NODES: urls.redisClusterNodes } : {}),
    ...(urls.clickhouseCluster ? { CLICKHOUSE_CLUSTER: urls.clickhouseCluster } : {}),
    ...extra,
  };
}
