// The pipeline on the engines' own clustering (stack.sh up redis-cluster / clickhouse-cluster):
// - on a Redis Cluster of three masters, the stages' state spreads over the nodes (one hash
//   slot per partition), checkpoints snapshot it, and when the cluster loses it mid-stream the
//   stages restore and ClickHouse still ends up exact;
// - a master of that cluster killed -9 mid-stream and started again (AOF replay; its slots
//   refuse commands until it has rejoined): the stages ride through, exact;
// - on a ClickHouse cluster of two shards (replicated tables behind Distributed ones), with
//   the writer killed -9 mid-stream so its batch in flight is written again, exact as well.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import { createClient } from '@clickhouse/client';
import { PipelineRun } from '@iot/harness';
import { alive, auth, clusters, stack, stackCommand, stackPid } from '../support/stack.ts';

test(
  'Redis Cluster: state on several masters, lost mid-stream and restored from a checkpoint: exact',
  { timeout: 300_000 },
  async () => {
    await stackCommand('up', 'redis-cluster');
    const run = await PipelineRun.create(
      { ...stack, redisClusterNodes: clusters.redisClusterNodes },
      {
        prefix: 'e2e-rcluster',
        seed: 141,
        env: { CHECKPOINT_INTERVAL: '2s', CHECKPOINT_TIMEOUT: '5s', CHECKPOINT_RETAIN: '3' },
      },
    );
    const services = (['checkpointer', 'ingest', 'aggregator', 'writer'] as const).map((s) =>
      run.service(s),
    );
    try {
      assert.ok(run.redis instanceof Cluster, 'the run talks to the cluster');
      await Promise.all(services.map((s) => s.start()));
      void run.produce(12_000);
      await run.coveringEpoch(['ingest/0', 'ingest/1', 'aggregator/0', 'aggregator/1']);

      const keys = await run.stateKeys();
      assert.ok(keys.length > 0, 'the stages keep state on the cluster');
      const owners = new Set(await Promise.all(keys.map((k) => nodeOf(run.redis as Cluster, k))));
      assert.ok(owners.size >= 2, `state on ${owners.size} master(s) of 3`);

      // The cluster loses the pipeline's state while the stream is flowing.
      assert.ok((await run.wipeState()) > 0);
      await run.assertExact();
      const logs = services.map((s) => s.logs()).join('\n');
      assert.match(logs, /restored partition state from checkpoint storage/);
      assert.doesNotMatch(logs, /CROSSSLOT/);
    } finally {
      await run.cleanup();
    }
  },
);

test(
  'Redis Cluster: a master holding state killed -9 mid-stream and restarted: the stages ride through, exact',
  { timeout: 300_000 },
  async () => {
    await stackCommand('up', 'redis-cluster');
    const run = await PipelineRun.create(
      { ...stack, redisClusterNodes: clusters.redisClusterNodes },
      {
        prefix: 'e2e-rmaster',
        seed: 142,
        env: { CHECKPOINT_INTERVAL: '2s', CHECKPOINT_TIMEOUT: '5s', CHECKPOINT_RETAIN: '3' },
      },
    );
    const services = (['checkpointer', 'ingest', 'aggregator', 'writer'] as const).map((s) =>
      run.service(s),
    );
    try {
      await Promise.all(services.map((s) => s.start()));
      let produced = false;
      const producing = run.produce(12_000).then(() => (produced = true));
      await run.coveringEpoch(['ingest/0', 'ingest/1', 'aggregator/0', 'aggregator/1']);

      // The master of the first state key's slot dies without a word, mid-stream.
      const keys = await run.stateKeys();
      assert.ok(keys.length > 0, 'the stages keep state on the cluster');
      const master = await nodeOf(run.redis as Cluster, keys[0]!);
      const index = clusters.redisClusterNodes.split(',').indexOf(master);
      assert.ok(index >= 0, `${master} is one of ${clusters.redisClusterNodes}`);
      const server = `redis-cluster-${index + 1}`;
      const pid = await stackPid(server);
      assert.ok(pid !== undefined && alive(pid), `${server} runs`);
      assert.equal(produced, false, 'the kill falls mid-stream');
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 2_000));
      await stackCommand('up', 'redis-cluster'); // back from its AOF, and rejoined
      await producing;

      await run.assertExact();
      for (const s of services) assert.ok(s.running, `${s.service} kept running`);
    } finally {
      await run.cleanup();
    }
  },
);

/** The master that serves a key's slot, as host:port. */
async function nodeOf(redis: Cluster, key: string): Promise<string> {
  const slot = Number(await redis.cluster('KEYSLOT', key));
  const ranges = await redis.cluster('SLOTS');
  const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
  assert.ok(master, `slot ${slot} is served`);
  return `${master[0]}:${master[1]}`;
}

test(
  'ClickHouse cluster: writer killed -9 mid-stream, batches retried through Distributed tables: exact',
  { timeout: 300_000 },
  async () => {
    await stackCommand('up', 'clickhouse-cluster');
    const [url] = clusters.clickhouseUrls;
    assert.ok(url);
    const run = await PipelineRun.create(
      { ...stack, clickhouseUrl: url, clickhouseCluster: clusters.clickhouseCluster },
      { prefix: 'e2e-chcluster', seed: 142 },
    );
    const services = (['ingest', 'aggregator', 'writer'] as const).map((s) => run.service(s));
    const [, , writer] = services;
    try {
      await Promise.all(services.map((s) => s.start()));
      const producing = run.produce(10_000);
      await new Promise((r) => setTimeout(r, 6_000));
      await writer.kill();
      await writer.start();
      await producing;
      await run.assertExact();

      // Each shard holds a part of the rows, and together no more than the verifier expects
      // per key (FINAL through the Distributed table counted them above).
      const perShard = await Promise.all(
        clusters.clickhouseUrls.map(async (u) => {
          const ch = createClient({ url: u, ...auth.clickhouse });
          try {
            const rows = await (
              await ch.query({
                query: `SELECT uniqExact(device_id, window_start) AS n FROM ${run.names.database}.sensor_aggregates_local`,
                format: 'JSONEachRow',
              })
            ).json<{ n: string }>();
            return Number(rows[0]?.n);
          } finally {
            await ch.close();
          }
        }),
      );
      assert.ok(
        perShard.every((n) => n > 0),
        `rows on both shards: ${perShard.join(' + ')}`,
      );
      assert.equal(
        perShard.reduce((a, b) => a + b, 0),
        run.expected.rows.length,
        'no key on two shards',
      );
      assert.ok(writer.restarts > 0, 'writer was restarted');
    } finally {
      await run.cleanup();
    }
  },
);
