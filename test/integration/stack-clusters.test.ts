// The on-demand cluster servers of stack.sh: `up redis-cluster` / `up clickhouse-cluster`
// start them (ZooKeeper first), a second `up` starts nothing, and a killed Redis node is
// restarted alone and rejoins the cluster with its data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import { createClient } from '@clickhouse/client';
import { loadConfig, redisSpec } from '@iot/config';
import { createRedis } from '@iot/state';
import { alive, auth, clusters, stackCommand, stackPid, uniqueName } from '../support/stack.ts';

const members = ['redis-cluster-1', 'redis-cluster-2', 'redis-cluster-3'];

test('up clickhouse-cluster brings ZooKeeper and both servers of iot_cluster up, idempotently', async () => {
  await stackCommand('up', 'clickhouse-cluster');
  const { stderr } = await stackCommand('up', 'clickhouse-cluster');
  assert.doesNotMatch(stderr, /starting/);
  const status = (await stackCommand('status')).stdout;
  assert.match(status, /^zookeeper\s+ready/m);
  assert.match(status, /^clickhouse-cluster\s+ready/m);
  for (const [i, url] of clusters.clickhouseUrls.entries()) {
    const ch = createClient({ url, ...auth.clickhouse });
    try {
      const rows = await (
        await ch.query({
          query: `SELECT shard_num, port FROM system.clusters WHERE cluster = '${clusters.clickhouseCluster}' ORDER BY shard_num`,
          format: 'JSONEachRow',
        })
      ).json<{ shard_num: number; port: number }>();
      assert.equal(rows.length, 2, `server ${i + 1} sees two shards`);
    } finally {
      await ch.close();
    }
  }
});

test(
  'a killed Redis Cluster node is restarted alone by the next up and keeps its keys',
  { timeout: 120_000 },
  async () => {
    await stackCommand('up', 'redis-cluster');
    const connect = () =>
      createRedis(
        loadConfig(redisSpec, {
          REDIS_URL: 'redis://unused:1',
          REDIS_CLUSTER_NODES: clusters.redisClusterNodes,
          REDIS_PASSWORD: auth.redis.password,
        }),
      );
    const redis = connect();
    assert.ok(redis instanceof Cluster);
    const ns = uniqueName('stack-cluster');
    try {
      // One key per partition tag: spread over the three masters.
      const keys = Array.from({ length: 12 }, (_, p) => `${ns}:{${p}}:k`);
      for (const k of keys) await redis.set(k, k);
      // appendfsync everysec: give the AOF its second before the kill.
      await new Promise((r) => setTimeout(r, 2_000));
      const before = await Promise.all(members.map(stackPid));
      const victim = before[1];
      assert.ok(victim !== undefined && alive(victim));
      process.kill(victim, 'SIGKILL');
      while (alive(victim)) await new Promise((r) => setTimeout(r, 50));
      assert.match((await stackCommand('status')).stdout, /^redis-cluster\s+down/m);

      const { stderr } = await stackCommand('up', 'redis-cluster');
      assert.match(stderr, /starting redis-cluster/);
      assert.doesNotMatch(stderr, /creating the Redis Cluster/);
      const after = await Promise.all(members.map(stackPid));
      assert.notEqual(after[1], victim);
      assert.equal(after[0], before[0]);
      assert.equal(after[2], before[2]);
      // AOF and nodes.conf: the node comes back with its slots and keys.
      for (const k of keys) assert.equal(await redis.get(k), k);
      for (const k of keys) await redis.del(k);
    } finally {
      redis.disconnect();
    }
  },
);
