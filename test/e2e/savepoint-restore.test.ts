// The seed's upgrade procedure with the real services and iotctl: suspend the pipeline in the
// middle of the stream, take a named savepoint, stop every service, lose the pipeline's Redis
// state (a new deployment), restore the savepoint into Redis, start everything again and
// resume. Production never stops (it only piles up a backlog while the services are down);
// ClickHouse and the DLQ end up exact, and the savepoint outlives checkpoint retention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import {
  CheckpointStore,
  createS3Client,
  manifestLocation,
  type Manifest,
} from '@iot/checkpoint-storage';
import {
  ClickHouseSink,
  ServiceProcess,
  clickhouse,
  createPipelineTopics,
  dlqByReason,
  produceStream,
  verifyRows,
  waitForRows,
  pipelineEnv,
} from '@iot/harness';
import { resolveParams } from '@iot/loadgen';
import { PulsarClient } from '@iot/pulsar';
import { expectedFromParams } from '@iot/verify';
import { stack } from '../support/stack.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs iotctl as an operator would, as its own process. */
function iotctl(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'tools/iotctl/src/main.ts', ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** iotctl must succeed; returns its stdout. */
async function iotctlOk(env: Record<string, string>, ...args: string[]): Promise<string> {
  const r = await iotctl(env, ...args);
  assert.equal(r.code, 0, `iotctl ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const STAGE_PARTS = ['aggregator/0', 'aggregator/1', 'ingest/0', 'ingest/1'];
const partsOf = (m: Manifest | undefined) =>
  [...new Set(m?.parts.map((p) => `${p.service}/${p.partition}`))].sort();

test(
  'suspend, savepoint, stop everything, lose Redis, restore --from the savepoint, start, resume: exact',
  { timeout: 240_000 },
  async () => {
    const names = await createPipelineTopics(stack.pulsarAdminUrl, 'e2e-savepoint', 2, 2);
    const id = names.name.replaceAll('-', '_');
    const savepoint = `upgrade-${id}`;
    const params = resolveParams({
      seed: 51,
      devices: 40,
      startMs: Date.UTC(2026, 0, 1),
      durationMs: 60_000,
      ratePerSec: 150,
      partitions: 2,
      maxOutOfOrdernessMs: 2_000,
      shares: { late: 0.01, outOfOrder: 0.05, duplicate: 0.01, legacyJson: 0.03, malformed: 0.02 },
    });
    const expected = expectedFromParams(params, { windowSizeMs: 10_000, listAlerts: false });
    const env = pipelineEnv(names, stack, {
      CHECKPOINT_INTERVAL: '2s',
      CHECKPOINT_TIMEOUT: '5s',
      CHECKPOINT_RETAIN: '3',
      WINDOW_SIZE: '10s',
      MAX_OUT_OF_ORDERNESS: '2s',
      // Longer than the services are down: a restarted aggregator counts every upstream
      // partition as active from its start, and must not close windows on processing time
      // before ingest is back.
      WATERMARK_IDLE_TIMEOUT: '20s',
      WRITER_FLUSH_INTERVAL: '200ms',
    });
    const services = (['checkpointer', 'ingest', 'aggregator', 'writer'] as const).map(
      (s) => new ServiceProcess(s, env),
    );
    const client = new PulsarClient({ serviceUrl: stack.pulsarUrl });
    const redis = new Redis(stack.redisUrl);
    const ch = clickhouse(stack.clickhouseUrl);
    const sink = new ClickHouseSink(ch, { database: names.database });
    const store = new CheckpointStore({
      s3: createS3Client({
        endpoint: stack.s3Endpoint,
        region: stack.s3Region,
        accessKeyId: stack.s3AccessKey,
        secretAccessKey: stack.s3SecretKey,
        forcePathStyle: true,
      }),
      bucket: stack.s3Bucket,
      prefix: names.name,
    });
    const pipelineKeys = () => redis.keys(`${names.name}:*`);
    let producing: Promise<number> | undefined;
    try {
      await Promise.all(services.map((s) => s.start()));
      const productionMs = 16_000;
      producing = produceStream(
        client,
        names.source,
        params,
        (expected.counts.messages * 1000) / productionMs,
      );

      // Checkpoints run and cover every stage partition (so a leader is there to savepoint).
      let covered = false;
      const epochDeadline = Date.now() + 30_000;
      while (!covered && Date.now() < epochDeadline) {
        covered = partsOf((await store.listComplete()).at(-1)).join() === STAGE_PARTS.join();
        if (!covered) await sleep(250);
      }
      assert.ok(covered, 'a complete epoch lists every ingest and aggregator partition');
      await sleep(1_000);

      // The upgrade: suspend, savepoint, stop.
      const suspended = await iotctlOk(env, 'suspend');
      // The writer holds no state and is not on the control plane; the rest must park.
      for (const s of ['ingest', 'aggregator', 'checkpointer'])
        assert.match(suspended, new RegExp(`^${s}/\\S+: ok`, 'm'), `${s} acked the suspend`);
      const saved = await iotctlOk(env, 'savepoint', '--name', savepoint);
      assert.match(saved, new RegExp(`savepoint "${savepoint}" complete`));
      const manifest = await store.findComplete(savepoint);
      assert.equal(manifest.kind, 'savepoint');
      assert.deepEqual(partsOf(manifest), STAGE_PARTS, 'the savepoint holds every partition');

      for (const s of services) assert.equal(await s.stop(), 0, `${s.service} exit code`);

      // A new deployment: the pipeline's Redis state is gone (or belongs to someone else).
      const keys = await pipelineKeys();
      assert.ok(keys.length > 0, 'the stages kept state in Redis');
      await redis.del(...keys);

      const restored = await iotctlOk(env, 'restore', '--from', savepoint);
      assert.match(restored, /restored .*4 parts/);
      assert.ok((await pipelineKeys()).length > 0, 'restore wrote the state back into Redis');

      await Promise.all(services.map((s) => s.start()));
      await iotctlOk(env, 'resume');

      await producing;
      const count = await waitForRows(sink, expected.rows.length, 120_000);
      assert.equal(count, expected.rows.length, 'rows in ClickHouse');
      await sleep(1_000);
      const { exact, report } = await verifyRows(sink, expected);
      assert.ok(exact, report);
      const want = Object.values(expected.counts.dlq).reduce((a, b) => a + b, 0);
      assert.deepEqual(await dlqByReason(client, names.dlq, want), expected.counts.dlq);

      // The stages resumed from the restored Redis state, not from a checkpoint.
      const logs = services.map((s) => s.logs()).join('\n');
      assert.doesNotMatch(logs, /restored partition state from checkpoint storage/);

      // Retention: once CHECKPOINT_RETAIN (3) checkpoints newer than the savepoint exist, every
      // older checkpoint is expired, but the savepoint is still listed.
      const checkpoints = async () =>
        (await store.listComplete()).filter((m) => m.kind === 'checkpoint').map((m) => m.epoch);
      let kept = await checkpoints();
      const retainDeadline = Date.now() + 30_000;
      while (
        !(kept.length >= 3 && kept.every((e) => e > manifest.epoch)) &&
        Date.now() < retainDeadline
      ) {
        await sleep(500);
        kept = await checkpoints();
      }
      assert.ok(
        kept.length >= 3 && kept.length <= 3 + 1 && kept.every((e) => e > manifest.epoch),
        `retention keeps the 3 newest checkpoints, all after savepoint epoch ${manifest.epoch}: ${kept}`,
      );
      const epochs: unknown = JSON.parse(await iotctlOk(env, 'epochs', '--json'));
      assert.ok(Array.isArray(epochs));
      assert.ok(
        epochs.some(
          (m: unknown) =>
            typeof m === 'object' && m !== null && 'name' in m && m.name === savepoint,
        ),
        'iotctl epochs still lists the savepoint',
      );

      for (const s of services) assert.equal(await s.stop(), 0, `${s.service} exit code`);
    } finally {
      await Promise.all(services.map((s) => s.kill()));
      await producing?.catch(() => 0);
      await client.close();
      const keys = await pipelineKeys();
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await ch.command({ query: `DROP DATABASE IF EXISTS ${names.database}` }).catch(() => {});
      await ch.close();
      const listing = await store.listEpochs().catch(() => undefined);
      for (const loc of [
        ...(listing?.complete ?? []).map(manifestLocation),
        ...(listing?.incomplete ?? []),
      ])
        await store.deleteEpoch(loc).catch(() => 0);
      const nc = await connect({ servers: stack.natsUrl }).catch(() => undefined);
      if (nc !== undefined) {
        await (await nc.jetstreamManager()).streams.delete(`KV_${id}`).catch(() => false);
        await nc.close();
      }
    }
  },
);
