// The whole pipeline against the real servers, stages run in this process: generated AVRO
// (with late, out-of-order, duplicate, legacy-JSON and malformed messages) on a partitioned
// Pulsar topic → ingest tasks → records topic → aggregator tasks (state in Redis) →
// aggregates/alerts topics → writer tasks → ClickHouse. The verifier recomputes every row
// from the generator's parameters and the rows read back with FINAL must match exactly;
// the DLQ must hold every bad and late message with its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { batchSource, publishAll } from '@iot/channel';
import { resolveParams } from '@iot/loadgen';
import { PulsarClient, type Consumer, type Producer } from '@iot/pulsar';
import { PartitionState } from '@iot/state';
import { expectedFromParams } from '@iot/verify';
import { DEFAULT_ALERT_RULES } from '@iot/windows';
import { IngestPartitionTask } from '../../services/ingest/src/partition-task.ts';
import { caughtUpWith } from '../../services/ingest/src/caught-up.ts';
import { AggregatorPartitionTask } from '../../services/aggregator/src/partition-task.ts';
import { WriteTask } from '../../services/writer/src/write-task.ts';
import {
  ClickHouseSink,
  clickhouse,
  createPipelineTopics,
  dlqByReason,
  produceStream,
  verifyRows,
  waitForRows,
} from '@iot/harness';
import { auth, stack } from '../support/stack.ts';

const WINDOW_MS = 10_000;
const P = 2; // source partitions
const Q = 2; // records partitions

test(
  'in-process pipeline on real Pulsar, Redis and ClickHouse is exact',
  { timeout: 240_000 },
  async () => {
    const names = await createPipelineTopics(
      { adminUrl: stack.pulsarAdminUrl, ...auth.pulsar },
      'e2e',
      P,
      Q,
    );
    const { name, source, records, aggregates, alerts, dlq, database } = names;
    const params = resolveParams({
      seed: 11,
      devices: 30,
      startMs: Date.UTC(2026, 0, 1),
      durationMs: 40_000,
      ratePerSec: 150,
      partitions: P,
      maxOutOfOrdernessMs: 2_000,
      shares: { late: 0.01, outOfOrder: 0.05, duplicate: 0.01, legacyJson: 0.03, malformed: 0.02 },
    });
    const expected = expectedFromParams(params, { windowSizeMs: WINDOW_MS, listAlerts: false });
    assert.deepEqual(expected.tagMismatches, []);

    const client = new PulsarClient({ ...auth.pulsar, serviceUrl: stack.pulsarUrl });
    const redis = new Redis(stack.redisUrl, auth.redis);
    const ch = clickhouse(stack.clickhouseUrl, auth.clickhouse);
    const sink = new ClickHouseSink(ch, { database });
    await sink.ensureSchema();
    const closers: (() => Promise<unknown>)[] = [];
    let stopped = false;
    const loops: Promise<void>[] = [];
    const loop = (step: () => Promise<unknown>) =>
      loops.push(
        (async () => {
          while (!stopped) await step();
        })(),
      );

    try {
      await produceStream(client, source, params);

      const producer = async (t: string, keyed = true): Promise<Producer> => {
        const p = await client.createProducer({
          topic: t,
          routing: keyed ? 'key-hash' : 'round-robin',
          batching: { maxMessages: 1000, maxBytes: 512 * 1024, maxDelayMs: 5 },
        });
        closers.push(() => p.close());
        return p;
      };
      const subscribe = async (t: string, subscription: string): Promise<Consumer> => {
        const c = await client.subscribe({
          topic: t,
          subscription,
          type: 'Failover',
          initialPosition: 'Earliest',
          receiverQueueSize: 2000,
        });
        closers.push(() => c.close());
        return c;
      };
      const recordsPartitions = await Promise.all(
        Array.from({ length: Q }, (_, q) => producer(`${records}-partition-${q}`)),
      );
      const dlqOut = await producer(dlq);
      const aggregatesOut = await producer(aggregates);
      const alertsOut = await producer(alerts);

      for (let p = 0; p < P; p++) {
        const consumer = await subscribe(`${source}-partition-${p}`, 'ingest');
        const task = new IngestPartitionTask({
          state: new PartitionState(redis, 'ingest', p, name),
          source: batchSource(consumer, (m) => m),
          sink: {
            publishEnvelopes: async (envelopes) => {
              await Promise.all(
                envelopes.map((e) => recordsPartitions[e.partition]!.send(e.message)),
              );
            },
            publishDlq: (ms) => publishAll(dlqOut, ms),
          },
          options: {
            sourcePartition: p,
            timeMode: 'event',
            maxOutOfOrdernessMs: params.maxOutOfOrdernessMs,
            recordsPartitions: Q,
          },
          now: Date.now,
          maxBatch: 500,
          batchTimeoutMs: 50,
          // Caught up with its partition for 2 s, ingest says it is idle: the last windows close.
          caughtUp: caughtUpWith(consumer),
          idleAfterMs: 2_000,
        });
        await task.start();
        loop(() => task.step());
      }
      for (let q = 0; q < Q; q++) {
        const consumer = await subscribe(`${records}-partition-${q}`, 'aggregator');
        const task = new AggregatorPartitionTask({
          state: new PartitionState(redis, 'aggregator', q, name),
          source: batchSource(consumer, (m) => ({ payload: m.payload, properties: m.properties })),
          sink: {
            publish: async (outputs) => {
              const by = { aggregates: aggregatesOut, alerts: alertsOut, dlq: dlqOut };
              await Promise.all(outputs.map((o) => by[o.topic].send(o.message)));
            },
          },
          options: {
            windowSizeMs: WINDOW_MS,
            alertRules: DEFAULT_ALERT_RULES,
            upstreamPartitions: P,
          },
          now: Date.now,
          maxBatch: 16,
          batchTimeoutMs: 50,
        });
        await task.start();
        loop(() => task.step());
      }
      for (const t of [aggregates, alerts]) {
        const consumer = await subscribe(t, 'writer');
        const task = new WriteTask({
          source: batchSource(consumer, (m) => ({ payload: m.payload, properties: m.properties })),
          sink,
          publishDlq: (ms) => publishAll(dlqOut, ms),
          batchSize: 5000,
          flushIntervalMs: 200,
          flushIdleMs: 100,
          now: Date.now,
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
          retry: { initialMs: 100, maxMs: 2000 },
        });
        loop(() => task.step());
      }

      // Windows close as the watermark passes them; the last ones once the input idles.
      await waitForRows(sink, expected.rows.length, 150_000);
      await new Promise((r) => setTimeout(r, 1_000)); // anything extra would show up now
      const { exact, report } = await verifyRows(sink, expected);
      assert.ok(exact, report);
      assert.ok(expected.rows.length > 100, `only ${expected.rows.length} rows expected`);

      // DLQ: every bad and late message, once per origin, with its reason.
      const want = Object.values(expected.counts.dlq).reduce((x, y) => x + y, 0);
      assert.deepEqual(await dlqByReason(client, dlq, want), expected.counts.dlq);
    } finally {
      stopped = true;
      await Promise.allSettled(loops);
      for (const close of closers.reverse()) await close().catch(() => {});
      await client.close();
      redis.disconnect();
      await ch.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => {});
      await ch.close();
    }
  },
);
