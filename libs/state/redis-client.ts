// The one way the stages, iotctl and the harness reach the state's Redis: a single server
// (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). Both run the same Lua commits,
// because every key one commit touches shares the partition's hash tag (partition-state.ts).
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { redisConnection } from '@iot/config';

export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  readonly REDIS_URL: string;
  /** The password (requirepass, or an ACL user's with REDIS_USER); wins over one in the URL. */
  readonly REDIS_USER?: string | undefined;
  readonly REDIS_PASSWORD?: string | undefined;
  /** Seed nodes of a Redis Cluster; when given, REDIS_URL is not used. */
  readonly REDIS_CLUSTER_NODES?: readonly { host: string; port: number }[] | undefined;
}

/** A client for the configured Redis; `options` apply to every connection (each node's too). */
export function createRedis(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  const at = redisConnection(target);
  const withAuth: RedisOptions = { ...at.options, ...options };
  const nodes = target.REDIS_CLUSTER_NODES;
  if (nodes === undefined || nodes.length === 0) return new Redis(at.url, withAuth);
  const { retryStrategy } = options;
  return new Cluster([...nodes], {
    // Every node has the same password (the stack's cluster does; so does a managed one).
    redisOptions: withAuth,
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
    : `Redis at ${redisConnection(target).url}`;
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
 * The part of a key Redis Cluster hashes: the text inside the first `{…}` when it is not
 * empty, else the whole key (the cluster specification's hash tags).
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/**
 * Deletes keys with one DEL per hash tag on a cluster (a multi-key command must stay in one
 * slot), one DEL in all on a single server. Each partition's keys share a tag, so each
 * partition's state goes at once, as when Redis loses it: never a half-deleted state that a
 * stage could go on committing into.
 */
export async function deleteKeys(redis: RedisClient, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!(redis instanceof Cluster)) return redis.del(...keys);
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const tag = hashTagOf(key);
    groups.set(tag, [...(groups.get(tag) ?? []), key]);
  }
  const counts = await Promise.all([...groups.values()].map((group) => redis.del(...group)));
  return counts.reduce((a, b) => a + b, 0);
}
