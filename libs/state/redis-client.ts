// The one way the stages, iotctl and the harness reach the state's Redis: a single server
// (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). Both run the same Lua commits,
// because every key one commit touches shares the partition's hash tag (partition-state.ts).
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  readonly REDIS_URL: string;
  /** Seed nodes of a Redis Cluster; when given, REDIS_URL is not used. */
  readonly REDIS_CLUSTER_NODES?: readonly { host: string; port: number }[] | undefined;
}

/** A client for the configured Redis; `options` apply to every connection (each node's too). */
export function createRedis(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  const nodes = target.REDIS_CLUSTER_NODES;
  if (nodes === undefined || nodes.length === 0) return new Redis(target.REDIS_URL, options);
  const { retryStrategy } = options;
  return new Cluster([...nodes], {
    redisOptions: options,
    ...(options.lazyConnect === undefined ? {} : { lazyConnect: options.lazyConnect }),
    // The cluster reconnects on its own schedule; a caller that gives up (iotctl) does so on
    // the cluster as well, instead of waiting for ever on unreachable seeds.
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
  });
}

/** Where the client points, for error messages. */
export function describeRedis(target: RedisTarget): string {
  const nodes = target.REDIS_CLUSTER_NODES;
  return nodes && nodes.length > 0
    ? `the Redis Cluster at ${nodes.map((n) => `${n.host}:${n.port}`).join(',')}`
    : `Redis at ${target.REDIS_URL}`;
}

/**
 * Every key matching `pattern`: SCAN on each master of a cluster (a key lives on one node
 * only), on the server itself otherwise. For tools and tests; the stages never list keys.
 */
export async function scanKeys(redis: RedisClient, pattern: string): Promise<string[]> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const keys: string[] = [];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, found] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

/**
 * Deletes keys one command each: a multi-key DEL (or a pipeline, on ioredis' Cluster) must
 * stay within one hash slot, and listed keys span many.
 */
export async function deleteKeys(redis: RedisClient, keys: readonly string[]): Promise<number> {
  const counts = await Promise.all(keys.map((key) => redis.del(key)));
  return counts.reduce((a, b) => a + b, 0);
}
