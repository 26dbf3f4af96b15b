// PartitionState against the real Redis, a single server and a Redis Cluster of three masters
// (stack.sh up redis-cluster): atomic fenced commits, takeover, pending outputs. On the
// cluster every script and transaction must stay in the partition's hash slot.
import { before, test as it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, redisSpec } from '@iot/config';
import {
  FencedError,
  PartitionState,
  StateLostError,
  createRedis,
  deleteKeys,
  scanKeys,
  type RedisClient,
} from '@iot/state';
import { auth, clusters, stack, stackCommand, uniqueName } from '../support/stack.ts';

const targets = [
  { name: 'Redis', env: { REDIS_URL: stack.redisUrl } },
  {
    name: 'Redis Cluster',
    env: { REDIS_URL: stack.redisUrl, REDIS_CLUSTER_NODES: clusters.redisClusterNodes },
  },
] as const;

before(() => stackCommand('up', 'redis-cluster'));

for (const target of targets) {
  const test = (name: string, fn: () => Promise<void>) => it(`${target.name}: ${name}`, fn);
  const withRedis = async (fn: (redis: RedisClient, ns: string) => Promise<void>) => {
    const redis = createRedis(
      loadConfig(redisSpec, { ...target.env, REDIS_PASSWORD: auth.redis.password }),
      { maxRetriesPerRequest: 2 },
    );
    const ns = uniqueName('state-test');
    try {
      await fn(redis, ns);
    } finally {
      await deleteKeys(redis, await scanKeys(redis, `${ns}:*`));
      redis.disconnect();
    }
  };

  test('a commit writes entries, meta and pending outputs together; a new owner reads them', async () => {
    await withRedis(async (redis, ns) => {
      const first = new PartitionState(redis, 'aggregator', 3, ns);
      const before = Date.now();
      const taken = await first.acquire();
      assert.ok(taken.epoch >= before, 'epochs start at the current time in ms');
      assert.equal(taken.existed, false);

      await first.commit({
        upserts: new Map([
          ['sensor_1|60000', '{"count":2}'],
          ['sensor_2|60000', '{"count":1}'],
        ]),
        meta: new Map([['position:0', '10:4:-1']]),
        appendPending: ['row-a', 'row-b'],
      });
      await first.commit({
        upserts: new Map([['sensor_1|60000', '{"count":3}']]),
        deletes: ['sensor_2|60000'],
        appendPending: ['row-c'],
      });
      await first.trimPending(2);

      const second = new PartitionState(redis, 'aggregator', 3, ns);
      const next = await second.acquire(0);
      assert.equal(next.epoch, taken.epoch + 1, 'always above the previous owner');
      assert.equal(next.existed, true);
      assert.deepEqual([...next.snapshot.entries], [['sensor_1|60000', '{"count":3}']]);
      assert.deepEqual([...next.snapshot.meta], [['position:0', '10:4:-1']]);
      assert.deepEqual(next.snapshot.pending, ['row-c']);
    });
  });

  test('after a takeover the old owner is fenced and its commit changes nothing', async () => {
    await withRedis(async (redis, ns) => {
      const zombie = new PartitionState(redis, 'ingest', 0, ns);
      await zombie.acquire();
      await zombie.commit({ meta: new Map([['position', 'a']]) });

      const owner = new PartitionState(redis, 'ingest', 0, ns);
      await owner.acquire();

      await assert.rejects(
        zombie.commit({ meta: new Map([['position', 'zombie']]), appendPending: ['x'] }),
        (err: unknown) =>
          err instanceof FencedError &&
          err.ownEpoch === zombie.ownerEpoch &&
          err.currentEpoch === owner.ownerEpoch &&
          owner.ownerEpoch > zombie.ownerEpoch,
      );
      await assert.rejects(zombie.trimPending(1), FencedError);
      const state = await owner.read();
      assert.equal(state.meta.get('position'), 'a');
      assert.deepEqual(state.pending, []);
    });
  });

  test('state gone from Redis is reported as lost, and a new owner still gets a higher epoch', async () => {
    await withRedis(async (redis, ns) => {
      const owner = new PartitionState(redis, 'aggregator', 2, ns);
      await owner.acquire();
      await owner.commit({ meta: new Map([['position', 'x']]) });
      assert.equal(await deleteKeys(redis, await scanKeys(redis, `${ns}:*`)), 2, 'epoch and meta');
      await assert.rejects(owner.commit({ meta: new Map([['position', 'y']]) }), StateLostError);
      const next = new PartitionState(redis, 'aggregator', 2, ns);
      const taken = await next.acquire();
      assert.equal(taken.existed, false);
      assert.ok(
        taken.epoch > owner.ownerEpoch,
        'the counter was lost, the clock keeps epochs rising',
      );
    });
  });

  test('replace swaps the whole state (restore) and keeps the fence', async () => {
    await withRedis(async (redis, ns) => {
      const owner = new PartitionState(redis, 'aggregator', 1, ns);
      await owner.acquire();
      await owner.commit({ upserts: new Map([['old', '1']]), appendPending: ['p'] });
      await owner.replace({
        entries: new Map([['restored', '2']]),
        meta: new Map([['watermark:0', '120000']]),
        pending: [],
      });
      const state = await owner.read();
      assert.deepEqual([...state.entries], [['restored', '2']]);
      assert.deepEqual([...state.meta], [['watermark:0', '120000']]);
      assert.deepEqual(state.pending, []);
    });
  });
}
