// The Redis state backend of one partition owner (docs/architecture.md, "Exactly once"): keyed entries (e.g. window
// accumulators), metadata (source positions, watermarks, per-channel epochs) and pending
// outputs, written together in one atomic, fenced step per micro-batch.
import type { RedisClient } from './redis-client.ts';

/** Everything a partition owner keeps; what it restores from on takeover. */
export interface PartitionSnapshot {
  /** Keyed state, e.g. `device|windowStart` → serialized accumulator. */
  entries: Map<string, string>;
  /** Small named values: positions, watermarks, counters (each serialized by the caller). */
  meta: Map<string, string>;
  /** Outputs decided but not yet confirmed published, oldest first. */
  pending: string[];
}

/** One micro-batch's changes. Applied all together or not at all. */
export interface PartitionCommit {
  upserts?: ReadonlyMap<string, string>;
  deletes?: readonly string[];
  meta?: ReadonlyMap<string, string>;
  appendPending?: readonly string[];
}

/** Thrown when the partition's state vanished from Redis (flushed, or Redis lost its data). */
export class StateLostError extends Error {
  constructor(
    readonly partitionKey: string,
    readonly ownEpoch: number,
  ) {
    super(
      `${partitionKey}: the state of owner epoch ${ownEpoch} is gone from Redis; ` +
        'restart the partition so it restores from the last checkpoint',
    );
    this.name = 'StateLostError';
  }
}

/** Thrown when another owner took the partition: this owner must stop at once. */
export class FencedError extends Error {
  constructor(
    readonly partitionKey: string,
    readonly ownEpoch: number,
    readonly currentEpoch: number,
  ) {
    super(
      `${partitionKey}: owner epoch ${ownEpoch} was fenced by epoch ${currentEpoch}; ` +
        'another instance owns this partition now, so this one must stop processing it',
    );
    this.name = 'FencedError';
  }
}

// KEYS: epoch. ARGV: now (ms). The new epoch is above every earlier one and, if Redis lost
// the counter, still above every epoch handed out before (stamped downstream), since it is
// at least the current time in ms.
const ACQUIRE = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
local nxt = cur + 1
if now > nxt then nxt = now end
redis.call('SET', KEYS[1], string.format('%d', nxt))
return string.format('%d', nxt)
`;

// KEYS: epoch, entries, meta, pending. ARGV: epoch, nUpserts, nDeletes, nMeta, nPending, then
// the pairs/items in that order. Returns the current epoch when fenced, else 0.
const COMMIT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return -1 end
local cur = tonumber(raw)
if cur ~= tonumber(ARGV[1]) then return cur end
local nu, nd, nm, np = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local i = 6
for _ = 1, nu do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]); i = i + 2 end
for _ = 1, nd do redis.call('HDEL', KEYS[2], ARGV[i]); i = i + 1 end
for _ = 1, nm do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]); i = i + 2 end
for _ = 1, np do redis.call('RPUSH', KEYS[4], ARGV[i]); i = i + 1 end
return 0
`;

// KEYS: epoch, pending. ARGV: epoch, count. Drops the oldest `count` pending outputs.
const TRIM_PENDING = `
local raw = redis.call('GET', KEYS[1])
if not raw then return -1 end
local cur = tonumber(raw)
if cur ~= tonumber(ARGV[1]) then return cur end
redis.call('LTRIM', KEYS[2], tonumber(ARGV[2]), -1)
return 0
`;

// KEYS: epoch, entries, meta, pending. ARGV: epoch, nEntries, nMeta, nPending, items.
// Replaces the whole state (restore from a checkpoint).
const REPLACE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return -1 end
local cur = tonumber(raw)
if cur ~= tonumber(ARGV[1]) then return cur end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
local ne, nm, np = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local i = 5
for _ = 1, ne do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]); i = i + 2 end
for _ = 1, nm do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]); i = i + 2 end
for _ = 1, np do redis.call('RPUSH', KEYS[4], ARGV[i]); i = i + 1 end
return 0
`;

/** The keys of one partition's state, all under `base` (`<namespace>:<service>:{<partition>}`). */
export function partitionStateKeys(base: string): {
  epoch: string;
  entries: string;
  meta: string;
  pending: string;
} {
  return {
    epoch: `${base}:epoch`,
    entries: `${base}:entries`,
    meta: `${base}:meta`,
    pending: `${base}:pending`,
  };
}

/**
 * Deletes the whole state of every partition that one of `keys` belongs to, each partition
 * with one DEL of all its key names (one hash slot, so also on a cluster): what a Redis that
 * lost its data leaves. Deleting only the keys a listing found is not that: a key created
 * between the listing and the DEL (a first pending output, a first window) would survive,
 * and a partition with any key left counts as existing, so it would not restore from its
 * checkpoint. For tests and tools; returns how many keys were deleted.
 */
export async function wipePartitionStates(
  redis: RedisClient,
  keys: readonly string[],
): Promise<number> {
  const bases = new Set<string>();
  for (const key of keys) {
    const m = /^(.*?\{[^}]+\})/.exec(key);
    if (m) bases.add(m[1]!);
  }
  const counts = await Promise.all(
    [...bases].map((base) => redis.del(...Object.values(partitionStateKeys(base)))),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * State of one partition owned by one service, e.g. `new PartitionState(redis, 'aggregator', 3)`.
 * Keys share the hash tag `{partition}`, so every script and the read transaction touch one
 * hash slot: they run unchanged on Redis Cluster (CROSSSLOT otherwise).
 */
export class PartitionState {
  readonly key: string;
  private readonly keys: { epoch: string; entries: string; meta: string; pending: string };
  private epoch = 0;

  constructor(
    private readonly redis: RedisClient,
    service: string,
    partition: number,
    namespace = 'iot',
  ) {
    this.key = `${namespace}:${service}:{${partition}}`;
    this.keys = partitionStateKeys(this.key);
  }

  /** The epoch this owner holds (0 before `acquire`). */
  get ownerEpoch(): number {
    return this.epoch;
  }

  /**
   * Takes ownership: a new, higher epoch fences every earlier owner. Epochs are at least the
   * current time in ms, so they keep increasing even after Redis lost its data. Returns the
   * state.
   */
  async acquire(
    nowMs = Date.now(),
  ): Promise<{ epoch: number; snapshot: PartitionSnapshot; existed: boolean }> {
    this.epoch = Number(await this.redis.eval(ACQUIRE, 1, this.keys.epoch, Math.floor(nowMs)));
    const snapshot = await this.read();
    const existed =
      snapshot.meta.size > 0 || snapshot.entries.size > 0 || snapshot.pending.length > 0;
    return { epoch: this.epoch, snapshot, existed };
  }

  /** Reads the whole state in one transaction (a consistent cut). */
  async read(): Promise<PartitionSnapshot> {
    const res = await this.redis
      .multi()
      .hgetall(this.keys.entries)
      .hgetall(this.keys.meta)
      .lrange(this.keys.pending, 0, -1)
      .exec();
    if (!res) throw new Error(`${this.key}: reading state was aborted; retry`);
    for (const [err] of res) if (err) throw err;
    const [[, entries], [, meta], [, pending]] = res as [
      [null, Record<string, string>],
      [null, Record<string, string>],
      [null, string[]],
    ];
    return {
      entries: new Map(Object.entries(entries)),
      meta: new Map(Object.entries(meta)),
      pending,
    };
  }

  /** Applies one micro-batch atomically; throws FencedError if another owner took over. */
  async commit(change: PartitionCommit): Promise<void> {
    const upserts = [...(change.upserts ?? new Map<string, string>())];
    const deletes = change.deletes ?? [];
    const meta = [...(change.meta ?? new Map<string, string>())];
    const pending = change.appendPending ?? [];
    const args: (string | number)[] = [
      this.epoch,
      upserts.length,
      deletes.length,
      meta.length,
      pending.length,
    ];
    for (const [k, v] of upserts) args.push(k, v);
    args.push(...deletes);
    for (const [k, v] of meta) args.push(k, v);
    args.push(...pending);
    const k = this.keys;
    this.fenceCheck(
      (await this.redis.eval(COMMIT, 4, k.epoch, k.entries, k.meta, k.pending, ...args)) as number,
    );
  }

  /** Forgets the oldest `count` pending outputs once they are confirmed published. */
  async trimPending(count: number): Promise<void> {
    if (count <= 0) return;
    const k = this.keys;
    this.fenceCheck(
      (await this.redis.eval(TRIM_PENDING, 2, k.epoch, k.pending, this.epoch, count)) as number,
    );
  }

  /** Replaces the whole state with a snapshot (restore from checkpoint storage). */
  async replace(snapshot: PartitionSnapshot): Promise<void> {
    const args: (string | number)[] = [
      this.epoch,
      snapshot.entries.size,
      snapshot.meta.size,
      snapshot.pending.length,
    ];
    for (const [k, v] of snapshot.entries) args.push(k, v);
    for (const [k, v] of snapshot.meta) args.push(k, v);
    args.push(...snapshot.pending);
    const k = this.keys;
    this.fenceCheck(
      (await this.redis.eval(REPLACE, 4, k.epoch, k.entries, k.meta, k.pending, ...args)) as number,
    );
  }

  private fenceCheck(current: number): void {
    if (current === -1) throw new StateLostError(this.key, this.epoch);
    if (current !== 0) throw new FencedError(this.key, this.epoch, current);
  }
}
