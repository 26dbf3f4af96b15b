// One end-to-end run of the pipeline on the real servers, as the e2e tests need it: its own
// topics, database, Redis namespace, checkpoint folder and control subjects (pipelineEnv); a
// generated stream and the rows the verifier expects of it; service processes; and a cleanup
// that leaves nothing behind, whatever the test did.
import assert from 'node:assert/strict';
import { connect } from 'nats';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  CheckpointStore,
  createS3Client,
  manifestLocation,
  type Manifest,
} from '@iot/checkpoint-storage';
import { resolveParams, type GeneratorParams } from '@iot/loadgen';
import { loadConfig, redisSpec } from '@iot/config';
import { PulsarClient } from '@iot/pulsar';
import {
  createRedis,
  deleteKeys,
  scanKeys,
  wipePartitionStates,
  type RedisClient,
} from '@iot/state';
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
import { clientAuth, credentialEnv, stackCredentials } from './credentials.ts';
import { ServiceProcess, type ServiceName } from './service-process.ts';

/** The servers, with the S3 credentials the run's checkpoint store needs. */
export interface RunServers extends ServerUrls {
  s3Region: string;
  s3AccessKey: string;
  s3SecretKey: string;
  /** Where to look: the stack's Prometheus and Zipkin (the demo prints them). */
  prometheusUrl?: string;
  zipkinUrl?: string;
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
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4223',
    s3Endpoint: env.S3_ENDPOINT ?? 'http://127.0.0.1:9100',
    s3Bucket: env.S3_BUCKET ?? 'iot-checkpoints',
    s3Region: env.S3_REGION ?? 'us-east-1',
    s3AccessKey: env.S3_ACCESS_KEY ?? 'local-access-key',
    s3SecretKey: env.S3_SECRET_KEY ?? 'local-secret-key',
    credentials: stackCredentials(env),
    prometheusUrl: env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090',
    zipkinUrl: env.ZIPKIN_URL ?? 'http://127.0.0.1:9411',
    redisClusterNodes: env.REDIS_CLUSTER_NODES,
    clickhouseCluster: env.CLICKHOUSE_CLUSTER,
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
  /** Event time of the stream's first reading; default 2026-01-01 (any fixed past works). */
  eventStartMs?: number;
}

const WINDOW_MS = 10_000;

/** 40 devices, one minute of event time at 150 msg/s, with some of every kind of bad input. */
function streamParams(seed: number, partitions: number, startMs: number): GeneratorParams {
  return resolveParams({
    seed,
    devices: 40,
    startMs,
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
  /** The run's environment with the operator's identity: what iotctl runs with. */
  readonly iotctlEnv: Record<string, string>;
  readonly client: PulsarClient;
  readonly redis: RedisClient;
  readonly sink: ClickHouseSink;
  readonly store: CheckpointStore;
  private readonly ch: ClickHouseClient;
  private readonly cluster: string | undefined;
  private readonly natsUrl: string;
  private readonly natsAuth: { user: string; pass: string };
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
    this.iotctlEnv = { ...this.env, ...credentialEnv(servers.credentials.operator) };
    const auth = clientAuth(servers.credentials.admin);
    this.client = new PulsarClient({ serviceUrl: servers.pulsarUrl, ...auth.pulsar });
    this.redis = createRedis(
      loadConfig(redisSpec, {
        REDIS_URL: servers.redisUrl,
        REDIS_CLUSTER_NODES: servers.redisClusterNodes,
        REDIS_PASSWORD: auth.redis.password,
      }),
    );
    this.ch = clickhouse(servers.clickhouseUrl, auth.clickhouse);
    this.cluster = servers.clickhouseCluster;
    this.sink = new ClickHouseSink(this.ch, {
      database: names.database,
      ...(this.cluster ? { cluster: this.cluster } : {}),
    });
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
    this.natsAuth = auth.nats;
  }

  /** Creates the run's topics; nothing runs yet. */
  static async create(servers: RunServers, opts: PipelineRunOptions): Promise<PipelineRun> {
    const sourcePartitions = opts.sourcePartitions ?? 2;
    const names = await createPipelineTopics(
      { adminUrl: servers.pulsarAdminUrl, authToken: servers.credentials.admin.pulsarToken },
      opts.prefix,
      sourcePartitions,
      opts.recordsPartitions ?? 2,
    );
    return new PipelineRun(
      names,
      streamParams(opts.seed, sourcePartitions, opts.eventStartMs ?? Date.UTC(2026, 0, 1)),
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

  /** The run's keys in Redis (its stages' state), on every node of a cluster. */
  stateKeys(): Promise<string[]> {
    return scanKeys(this.redis, `${this.names.name}:*`);
  }

  /** Deletes the run's state from Redis, each partition's at once (as a Redis that lost its data would); returns how many keys. */
  async wipeState(): Promise<number> {
    return wipePartitionStates(this.redis, await this.stateKeys());
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
    await this.stateKeys()
      .then((keys) => deleteKeys(this.redis, keys))
      .catch(() => 0);
    this.redis.disconnect();
    const onCluster = this.cluster ? ` ON CLUSTER ${this.cluster}` : '';
    await this.ch
      .command({ query: `DROP DATABASE IF EXISTS ${this.names.database}${onCluster}` })
      .catch(() => {});
    await this.ch.close();
    const listing = await this.store.listEpochs().catch(() => undefined);
    const locations = [
      ...(listing?.complete ?? []).map(manifestLocation),
      ...(listing?.incomplete ?? []),
    ];
    for (const loc of locations) await this.store.deleteEpoch(loc).catch(() => 0);
    this.store.s3.destroy();
    const nc = await connect({ servers: this.natsUrl, ...this.natsAuth }).catch(() => undefined);
    if (nc !== undefined) {
      await (await nc.jetstreamManager()).streams.delete(`KV_${this.id}`).catch(() => false);
      await nc.close();
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
