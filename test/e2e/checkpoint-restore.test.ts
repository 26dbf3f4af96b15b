// Checkpoints with the real stages: the checkpointer triggers epochs over NATS, ingest and
// aggregator snapshot every owned partition to S3, and manifests list them all. Then Redis
// loses the pipeline's state in the middle of the stream: the stages restore from the newest
// epoch, seek back, replay, and ClickHouse still ends up exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { CheckpointStore, createS3Client } from '@iot/checkpoint-storage';
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

test(
  'epochs cover every partition; after Redis loses the state the pipeline restores and stays exact',
  { timeout: 300_000 },
  async () => {
    const names = await createPipelineTopics(stack.pulsarAdminUrl, 'e2e-ckpt', 2, 2);
    const params = resolveParams({
      seed: 31,
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
      WATERMARK_IDLE_TIMEOUT: '8s',
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
    try {
      await Promise.all(services.map((s) => s.start()));
      const productionMs = 12_000;
      const producing = produceStream(
        client,
        names.source,
        params,
        (expected.counts.messages * 1000) / productionMs,
      );

      // Wait for a complete epoch that covers every partition of both stateful stages.
      let covered = false;
      const epochDeadline = Date.now() + 30_000;
      while (!covered && Date.now() < epochDeadline) {
        const newest = (await store.listComplete()).at(-1);
        const parts = new Set(newest?.parts.map((p) => `${p.service}/${p.partition}`));
        covered = ['ingest/0', 'ingest/1', 'aggregator/0', 'aggregator/1'].every((k) =>
          parts.has(k),
        );
        if (!covered) await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(covered, 'a complete epoch lists every ingest and aggregator partition');

      // Redis loses the pipeline's state while the stream is flowing.
      const keys = await redis.keys(`${names.name}:*`);
      assert.ok(keys.length > 0, 'the stages keep state in Redis');
      await redis.del(...keys);

      await producing;
      const count = await waitForRows(sink, expected.rows.length, 120_000);
      assert.equal(count, expected.rows.length, 'rows in ClickHouse');
      await new Promise((r) => setTimeout(r, 1_000));
      const { exact, report } = await verifyRows(sink, expected);
      assert.ok(exact, report);
      const want = Object.values(expected.counts.dlq).reduce((a, b) => a + b, 0);
      assert.deepEqual(await dlqByReason(client, names.dlq, want), expected.counts.dlq);

      const logs = services.map((s) => s.logs()).join('\n');
      assert.match(logs, /restored partition state from checkpoint storage/);
      const epochs = await store.listComplete();
      assert.ok(
        epochs.length <= 3 + 1,
        `retention keeps the last 3 epochs, found ${epochs.length}`,
      );
    } finally {
      await Promise.all(services.map((s) => s.kill()));
      await client.close();
      redis.disconnect();
      await ch.command({ query: `DROP DATABASE IF EXISTS ${names.database}` }).catch(() => {});
      await ch.close();
    }
  },
);
