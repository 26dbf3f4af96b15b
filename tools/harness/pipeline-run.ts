// One end-to-end run of the pipeline on the real servers, as the e2e tests need it: its own
// topics, database, Redis namespace, checkpoint folder and control subjects (pipelineEnv); a
// generated stream and the rows the verifier expects of it; service processes; and a cleanup
// that leaves nothing behind, whatever the test did.
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  CheckpointStore,
  createS3Client,
  manifestLocation,
  type Manifest,
} from '@iot/checkpoint-storage';
import { resolveParams, type GeneratorParams } from '@iot/loadgen';
import { PulsarClient } from '@iot/pulsar';
import { expectedFromParams, type Expected } from '@iot/verify';
import {
  ClickHouseSink,
  clickhouse,
  createPipelineTopics,
  dlqByReason,
  pipelineEnv,
  produceStream,
  verifyRows,
  waitForRows,
  type PipelineNames,
  type ServerUrls,
} from './pipeline.ts';
import { ServiceProcess, type ServiceName } from './service-process.ts';

/** The servers, with the S3 credentials the run's checkpoint store needs. */
export interface RunServers extends ServerUrls {
  s3Region: string;
  s3AccessKey: string;
  s3SecretKey: string;
}

/**
 * The local stack's servers (stack/stack.sh), each overridable by its environment variable:
 * what the demo, the chaos run and the benchmark connect to.
 */
export function localServers(env: NodeJS.ProcessEnv = process.env): RunServers {
  return {
    pulsarUrl: env.PULSAR_URL ?? 'pulsar://127.0.0.1:6650',
    pulsarAdminUrl: env.PULSAR_ADMIN_URL ?? 'http://127.0.0.1:8080',
    clickhouseUrl: env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6380',
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    s3Endpoint: env.S3_ENDPOINT ?? 'http://127.0.0.1:9100',
    s3Bucket: env.S3_BUCKET ?? 'iot-checkpoints',
    s3Region: env.S3_REGION ?? 'us-east-1',
    s3AccessKey: env.S3_ACCESS_KEY ?? 'local-access-key',
    s3SecretKey: env.S3_SECRET_KEY ?? 'local-secret-key',
  };
}

export interface PipelineRunOptions {
  /** Start of the run's unique name (topics, database, key prefixes). */
  prefix: string;
  /** Generator seed: each test its own, so runs differ. */
  seed: number;
  sourcePartitions?: number;
  recordsPartitions?: number;
  /** Service variables on top of the defaults (10 s windows, 2 s out-of-orderness, …). */
  env?: Record<string, string>;
}

const WINDOW_MS = 10_000;

/** 40 devices, one minute of event time at 150 msg/s, with some of every kind of bad input. */
function streamParams(seed: number, partitions: number): GeneratorParams {
  return resolveParams({
    seed,
    devices: 40,
    startMs: Date.UTC(2026, 0, 1),
    durationMs: 60_000,
    ratePerSec: 150,
    partitions,
    maxOutOfOrdernessMs: 2_000,
    shares: { late: 0.01, outOfOrder: 0.05, duplicate: 0.01, legacyJson: 0.03, malformed: 0.02 },
  });
}

export class PipelineRun {
  readonly id: string;
  readonly expected: Expected;
  readonly env: Record<string, string>;
  readonly client: PulsarClient;
  readonly redis: Redis;
  readonly sink: ClickHouseSink;
  readonly store: CheckpointStore;
  private readonly ch: ClickHouseClient;
  private readonly natsUrl: string;
  private readonly processes: ServiceProcess[] = [];
  private producing: Promise<number> | undefined;

  private constructor(
    readonly names: PipelineNames,
    readonly params: GeneratorParams,
    servers: RunServers,
    env: Record<string, string>,
  ) {
    this.id = names.name.replaceAll('-', '_');
    this.expected = expectedFromParams(params, { windowSizeMs: WINDOW_MS, listAlerts: false });
    this.env = pipelineEnv(names, servers, {
      WINDOW_SIZE: `${WINDOW_MS / 1000}s`,
      MAX_OUT_OF_ORDERNESS: '2s',
      WATERMARK_IDLE_TIMEOUT: '8s',
      WRITER_FLUSH_INTERVAL: '200ms',
      ...env,
    });
    this.client = new PulsarClient({ serviceUrl: servers.pulsarUrl });
    this.redis = new Redis(servers.redisUrl);
    this.ch = clickhouse(servers.clickhouseUrl);
    this.sink = new ClickHouseSink(this.ch, { database: names.database });
    this.store = new CheckpointStore({
      s3: createS3Client({
        endpoint: servers.s3Endpoint,
        region: servers.s3Region,
        accessKeyId: servers.s3AccessKey,
        secretAccessKey: servers.s3SecretKey,
        forcePathStyle: true,
      }),
      bucket: servers.s3Bucket,
      prefix: names.name,
    });
    this.natsUrl = servers.natsUrl;
  }

  /** Creates the run's topics; nothing runs yet. */
  static async create(servers: RunServers, opts: PipelineRunOptions): Promise<PipelineRun> {
    const sourcePartitions = opts.sourcePartitions ?? 2;
    const names = await createPipelineTopics(
      servers.pulsarAdminUrl,
      opts.prefix,
      sourcePartitions,
      opts.recordsPartitions ?? 2,
    );
    return new PipelineRun(
      names,
      streamParams(opts.seed, sourcePartitions),
      servers,
      opts.env ?? {},
    );
  }

  /** A service process of this run (not started); cleanup kills it. */
  service(name: ServiceName): ServiceProcess {
    const s = new ServiceProcess(name, this.env);
    this.processes.push(s);
    return s;
  }

  /** Starts producing the stream, paced to last about `productionMs`. */
  produce(productionMs: number): Promise<number> {
    this.producing = produceStream(
      this.client,
      this.names.source,
      this.params,
      (this.expected.counts.messages * 1000) / productionMs,
    );
    return this.producing;
  }

  /** The run's keys in Redis (its stages' state). */
  stateKeys(): Promise<string[]> {
    return this.redis.keys(`${this.names.name}:*`);
  }

  /** Waits until the newest complete epoch lists exactly `parts` ("service/partition"). */
  async coveringEpoch(parts: readonly string[], ms = 30_000): Promise<Manifest> {
    const want = [...parts].sort().join();
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const newest = (await this.store.listComplete()).at(-1);
      const have = [...new Set(newest?.parts.map((p) => `${p.service}/${p.partition}`))];
      if (newest && have.sort().join() === want) return newest;
      await sleep(250);
    }
    throw new Error(`no complete epoch lists every partition of ${want} within ${ms} ms`);
  }

  /** ClickHouse (row by row, through FINAL) and the DLQ hold exactly what the input says. */
  async assertExact(): Promise<void> {
    await this.producing;
    const count = await waitForRows(this.sink, this.expected.rows.length, 120_000);
    assert.equal(count, this.expected.rows.length, 'rows in ClickHouse');
    await sleep(1_000); // a late extra row would show up now
    const { exact, report } = await verifyRows(this.sink, this.expected);
    assert.ok(exact, report);
    const want = Object.values(this.expected.counts.dlq).reduce((a, b) => a + b, 0);
    const dlq = await dlqByReason(this.client, this.names.dlq, want);
    assert.deepEqual(dlq, this.expected.counts.dlq);
  }

  /**
   * Kills every process and closes the run's connections, leaving its data (topics, Redis
   * keys, database, checkpoints) for a look at what went wrong.
   */
  async keep(): Promise<void> {
    await Promise.all(this.processes.map((s) => s.kill()));
    await this.producing?.catch(() => 0);
    await this.client.close();
    this.redis.disconnect();
    await this.ch.close();
    this.store.s3.destroy();
  }

  /** Kills every process; removes the run's Redis keys, database, checkpoints and lease bucket. */
  async cleanup(): Promise<void> {
    await Promise.all(this.processes.map((s) => s.kill()));
    await this.producing?.catch(() => 0);
    await this.client.close();
    const keys = await this.stateKeys().catch(() => []);
    if (keys.length > 0) await this.redis.del(...keys);
    this.redis.disconnect();
    await this.ch
      .command({ query: `DROP DATABASE IF EXISTS ${this.names.database}` })
      .catch(() => {});
    await this.ch.close();
    const listing = await this.store.listEpochs().catch(() => undefined);
    const locations = [
      ...(listing?.complete ?? []).map(manifestLocation),
      ...(listing?.incomplete ?? []),
    ];
    for (const loc of locations) await this.store.deleteEpoch(loc).catch(() => 0);
    this.store.s3.destroy();
    const nc = await connect({ servers: this.natsUrl }).catch(() => undefined);
    if (nc !== undefined) {
      await (await nc.jetstreamManager()).streams.delete(`KV_${this.id}`).catch(() => false);
      await nc.close();
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
