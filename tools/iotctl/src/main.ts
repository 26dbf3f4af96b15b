// iotctl: what the seed did with kubectl patches (docs/architecture.md, "Operating it") — status, epochs, savepoint,
// suspend, resume, restore — over NATS, S3 and Redis. One line on stderr and exit 1 when a
// server is unreachable (naming it and the variable), exit 2 on a usage error.
//   npx iotctl <command> [options]   (bin/iotctl.js; `iotctl` in the service images)
import { connect, type NatsConnection } from 'nats';
import {
  CheckpointStore,
  createS3Client,
  describeLocation,
  manifestLocation,
  totalBytes,
  type Manifest,
} from '@iot/checkpoint-storage';
import {
  loadConfig,
  natsConnection,
  parseDuration,
  pulsarCredentials,
  redact,
  secretValues,
  ConfigError,
  type ConfigOf,
} from '@iot/config';
import { AdminError, PulsarAdmin } from '@iot/pulsar';
import { ControlClient, subjects } from '@iot/control-plane';
import { ConsoleCollector, statusText } from '@iot/console';
import { PartitionState, createRedis, describeRedis, type RedisClient } from '@iot/state';
import { USAGE, UsageError, parseArgs, type Args } from './args.ts';
import { spec } from './config.ts';
import { ensureTopics, type TopicWant } from './topics.ts';

type Config = ConfigOf<typeof spec>;

/** An error the operator can act on: printed as is. */
class CliError extends Error {}

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

async function natsConnect(config: Config): Promise<NatsConnection> {
  try {
    return await connect({
      ...natsConnection(config),
      timeout: 3000,
      maxReconnectAttempts: 0,
      reconnect: false,
    });
  } catch (err) {
    throw new CliError(
      `cannot reach NATS at ${config.NATS_URL}: ${(err as Error).message} (is it running, and NATS_USER/NATS_PASSWORD or NATS_CREDS right? set NATS_URL)`,
    );
  }
}

function checkpointStore(config: Config): CheckpointStore {
  const s3 = createS3Client({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    accessKeyId: config.S3_ACCESS_KEY,
    secretAccessKey: config.S3_SECRET_KEY,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    requestTimeoutMs: 5000,
  });
  return new CheckpointStore({ s3, bucket: config.S3_BUCKET, prefix: config.CHECKPOINT_S3_PREFIX });
}

/** Runs an S3 step, turning its failure into a line naming the server. */
async function s3Step<T>(config: Config, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const text = (err as Error).message;
    if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|timed? ?out|socket hang up/i.test(text)) {
      throw new CliError(
        `cannot reach S3 at ${config.S3_ENDPOINT} while ${what}: ${text} (set S3_ENDPOINT)`,
      );
    }
    throw new CliError(`S3 at ${config.S3_ENDPOINT}, bucket ${config.S3_BUCKET}, ${what}: ${text}`);
  }
}

async function redisConnect(config: Config): Promise<RedisClient> {
  const redis = createRedis(config, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // reported by connect() below
  try {
    await redis.connect();
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new CliError(
      `cannot reach ${describeRedis(config)}: ${(err as Error).message} (is REDIS_PASSWORD right? set REDIS_URL or REDIS_CLUSTER_NODES)`,
    );
  }
}

function timeoutOf(args: Args, fallbackMs: number): number {
  const t = args.flags.get('timeout');
  if (typeof t !== 'string') return fallbackMs;
  const ms = parseDuration(t);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`--timeout "${t}" is not a duration (e.g. 30s, 2m)`);
  }
  return ms;
}

async function withNats<T>(config: Config, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await natsConnect(config);
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}

async function status(config: Config, args: Args): Promise<void> {
  const store = checkpointStore(config);
  // The console's own collection (libs/console), two rounds a second apart so rates exist.
  const state = await withNats(config, async (nc) => {
    const members = await new ControlClient(nc, subjects(config.CONTROL_SUBJECT_PREFIX)).members();
    const collector = new ConsoleCollector({
      members: () => members,
      storage: () => s3Step(config, 'listing epochs', () => store.listComplete()),
    });
    await collector.collect();
    await new Promise((r) => setTimeout(r, 1000));
    return collector.collect();
  });
  if (args.flags.has('json')) {
    const { history: _history, ...snapshot } = state;
    out(JSON.stringify(snapshot));
  } else for (const line of statusText(state)) out(line);
  // Everything else was worth printing; the exit code still says storage could not be read.
  if (state.checkpoints.storageError !== undefined) {
    throw new CliError(state.checkpoints.storageError);
  }
}

async function epochs(config: Config, args: Args): Promise<void> {
  const store = checkpointStore(config);
  const listing = await s3Step(config, 'listing epochs', () => store.listEpochs());
  if (args.flags.has('json')) {
    out(JSON.stringify(listing.complete));
    return;
  }
  if (listing.complete.length === 0) out('no complete epochs');
  for (const m of listing.complete) {
    out(
      [
        m.kind === 'savepoint' ? `savepoint ${m.name ?? ''}` : `epoch ${m.epoch}`,
        m.kind === 'savepoint' ? `(epoch ${m.epoch})` : '',
        m.completedAt,
        `${m.parts.length} parts`,
        `${totalBytes(m)} bytes`,
      ]
        .filter(Boolean)
        .join('  '),
    );
  }
}

async function savepoint(config: Config, args: Args): Promise<void> {
  const name = args.flags.get('name');
  const result = await withNats(config, (nc) =>
    new ControlClient(nc, subjects(config.CONTROL_SUBJECT_PREFIX)).savepoint(
      typeof name === 'string' ? { name } : {},
      timeoutOf(args, 120_000),
    ),
  );
  if (result.outcome !== 'complete') {
    throw new CliError(
      `savepoint "${result.name ?? ''}" (epoch ${result.epoch}) was abandoned: ${result.reason ?? ''}`,
    );
  }
  out(
    `savepoint "${result.name ?? ''}" complete: epoch ${result.epoch}, ${result.parts} parts, ${result.bytes} bytes, ${result.durationMs} ms`,
  );
}

async function control(config: Config, args: Args, action: 'suspend' | 'resume'): Promise<void> {
  const res = await withNats(config, (nc) => {
    const client = new ControlClient(nc, subjects(config.CONTROL_SUBJECT_PREFIX));
    const opts = { timeoutMs: timeoutOf(args, 15_000) };
    return action === 'suspend' ? client.suspend(opts) : client.resume(opts);
  });
  if (res.acks.length === 0 && res.missing.length === 0) {
    throw new CliError(
      `no instance answered the ${action} (nothing running, or another CONTROL_SUBJECT_PREFIX)`,
    );
  }
  for (const a of res.acks) {
    out(
      `${a.service}/${a.instance}: ${a.ok ? 'ok' : `FAILED: ${a.error ?? ''}`}  partitions [${a.partitions.join(',')}]`,
    );
  }
  for (const m of res.missing) out(`${m.service}/${m.instance}: NO ACK`);
  if (res.missing.length > 0 || res.acks.some((a) => !a.ok)) {
    throw new CliError(`${action} incomplete: not every instance acknowledged`);
  }
}

/**
 * Restore of a complete epoch or savepoint. With owners running it goes over NATS: suspend
 * everything, tell every owner to restore its partitions at its boundary (state replaced,
 * subscription sought back), check every part of the manifest was restored, resume. With
 * no owner running it writes the snapshots straight into Redis (PartitionState.replace
 * after acquire), and the services continue from them when they start.
 */
async function restore(config: Config, args: Args): Promise<void> {
  const from = String(args.flags.get('from'));
  const store = checkpointStore(config);
  const found = await s3Step(config, `finding ${from}`, () => store.findComplete(from));
  if (found.kind === 'savepoint') return restoreManifest(config, args, store, found);
  // The checkpointer keeps taking epochs meanwhile: pin this one so retention cannot delete
  // it under the owners, then make sure it was not deleted before the pin.
  const timeoutMs = timeoutOf(args, 90_000);
  const epoch = found.epoch;
  await s3Step(config, `pinning epoch ${epoch}`, () =>
    store.pinEpoch(epoch, timeoutMs + 120_000, 'iotctl restore'),
  );
  try {
    const manifest = await s3Step(config, `finding ${from}`, () => store.findComplete(from));
    await restoreManifest(config, args, store, manifest);
  } finally {
    // Not fatal (the pin expires by itself), and must not hide the restore's own error.
    await store.unpinEpoch(epoch).catch((err: unknown) => {
      process.stderr.write(
        `iotctl: could not remove the pin of epoch ${epoch} (${(err as Error).message}); it expires by itself\n`,
      );
    });
  }
}

async function restoreManifest(
  config: Config,
  args: Args,
  store: CheckpointStore,
  manifest: Manifest,
): Promise<void> {
  const from = String(args.flags.get('from'));
  const services = new Set(manifest.parts.map((p) => p.service));
  const restoredLive = await withNats(config, async (nc) => {
    const client = new ControlClient(nc, subjects(config.CONTROL_SUBJECT_PREFIX));
    const owners = (await client.status()).filter((s) => services.has(s.service));
    if (owners.length === 0) return false;
    await restoreLive(client, manifest, from, timeoutOf(args, 90_000));
    return true;
  });
  if (restoredLive) return;

  const redis = await redisConnect(config);
  try {
    for (const part of manifest.parts) {
      const { snapshot } = await s3Step(config, `reading ${part.key}`, () =>
        store.getSnapshot(part),
      );
      const state = new PartitionState(redis, part.service, part.partition, config.STATE_NAMESPACE);
      await state.acquire();
      await state.replace(snapshot);
      out(
        `${part.service}/${part.partition}: restored ${snapshot.entries.size} entries, ${snapshot.meta.size} meta, ${snapshot.pending.length} pending`,
      );
    }
  } finally {
    redis.disconnect();
  }
  out(
    `restored ${describeLocation(manifestLocation(manifest))} (epoch ${manifest.epoch}, ${manifest.parts.length} parts) into ${describeRedis(config)}; no service was running: start them`,
  );
}

async function restoreLive(
  client: ControlClient,
  manifest: Manifest,
  from: string,
  timeoutMs: number,
): Promise<void> {
  const where = describeLocation(manifestLocation(manifest));
  // Parked first, so no owner runs ahead of the others from its old state while they restore.
  const suspended = await client.suspend();
  const notParked = [
    ...suspended.acks.filter((a) => !a.ok).map((a) => `${a.service}/${a.instance}: ${a.error}`),
    ...suspended.missing.map((m) => `${m.service}/${m.instance}: no ack`),
  ];
  if (notParked.length > 0) {
    await client.resume();
    throw new CliError(
      `could not suspend every instance (${notParked.join('; ')}); nothing was restored and the pipeline was resumed`,
    );
  }
  const res = await client.restore(from, { timeoutMs });
  const restored = new Set<string>();
  for (const a of res.acks) {
    if (a.ok) for (const p of a.partitions) restored.add(`${a.service}/${p}`);
    out(
      `${a.service}/${a.instance}: ${a.ok ? 'restored' : `FAILED: ${a.error ?? ''}`}  partitions [${a.partitions.join(',')}]`,
    );
  }
  for (const m of res.missing) out(`${m.service}/${m.instance}: NO ACK`);
  const notRestored = manifest.parts
    .map((p) => `${p.service}/${p.partition}`)
    .filter((k) => !restored.has(k));
  if (notRestored.length > 0 || res.missing.length > 0 || res.acks.some((a) => !a.ok)) {
    throw new CliError(
      `restore of ${where} incomplete${notRestored.length > 0 ? ` (not restored: ${notRestored.join(', ')}: is every service of the epoch running?)` : ''}; ` +
        'the pipeline is left suspended so no partition runs ahead from mixed state: fix the cause and run restore again, ' +
        'or stop every service and restore offline, or `iotctl resume` to continue as is',
    );
  }
  const resumed = await client.resume();
  if (resumed.missing.length > 0) {
    throw new CliError(
      `restored ${where}, but ${resumed.missing.map((m) => `${m.service}/${m.instance}`).join(', ')} did not ack the resume; run iotctl resume`,
    );
  }
  out(
    `restored ${where} (epoch ${manifest.epoch}, ${manifest.parts.length} parts) into the running pipeline; resumed`,
  );
}

async function ensurePipelineTopics(config: Config, args: Args): Promise<void> {
  const admin = new PulsarAdmin({
    adminUrl: config.PULSAR_ADMIN_URL,
    ...pulsarCredentials(config),
  });
  const wants: TopicWant[] = [
    {
      variable: 'PULSAR_TOPIC',
      topic: config.PULSAR_TOPIC,
      partitions: config.PULSAR_TOPIC_PARTITIONS,
    },
    {
      variable: 'RECORDS_TOPIC',
      topic: config.RECORDS_TOPIC,
      partitions: config.RECORDS_TOPIC_PARTITIONS,
      keyedState: true,
    },
    { variable: 'AGGREGATES_TOPIC', topic: config.AGGREGATES_TOPIC, partitions: 0 },
    { variable: 'ALERTS_TOPIC', topic: config.ALERTS_TOPIC, partitions: 0 },
    { variable: 'DLQ_TOPIC', topic: config.DLQ_TOPIC, partitions: 0 },
  ];
  try {
    for (const line of await ensureTopics(admin, wants, args.flags.has('repartition-records')))
      out(line);
  } catch (err) {
    if (err instanceof AdminError && err.status === 0)
      throw new CliError(`${err.message} (is Pulsar running? set PULSAR_ADMIN_URL)`);
    throw err;
  }
}

async function run(argv: readonly string[]): Promise<number> {
  let args: Args;
  let config: Config;
  try {
    args = parseArgs(argv);
    config = loadConfig(spec, process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message ? `iotctl: ${err.message}\n` : ''}${USAGE}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      // ConfigError never quotes a secret's value, but a URL may hold a password.
      process.stderr.write(`iotctl: ${redact(err.message)}\n`);
      return 2;
    }
    throw err;
  }
  try {
    switch (args.command) {
      case 'status':
        await status(config, args);
        break;
      case 'epochs':
        await epochs(config, args);
        break;
      case 'savepoint':
        await savepoint(config, args);
        break;
      case 'suspend':
      case 'resume':
        await control(config, args, args.command);
        break;
      case 'restore':
        await restore(config, args);
        break;
      case 'topics':
        await ensurePipelineTopics(config, args);
        break;
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`iotctl: ${err.message}\n`);
      return 2;
    }
    // Every error text may quote a URL or a server's answer: one redaction for all of them.
    const text = err instanceof Error ? err.message : String(err);
    process.stderr.write(`iotctl ${args.command}: ${redact(text, secretValues(spec, config))}\n`);
    return 1;
  }
}

process.exitCode = await run(process.argv.slice(2));
