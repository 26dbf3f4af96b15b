// The stages' side of /healthz and /readyz: their partition loops for the liveness check, and
// probes of the dependencies a stage needs right now for readiness.
import type { PartitionSupervisor } from '@iot/actors';
import type { LoopProgress, Readiness } from '@iot/observability';

/** What a readiness probe needs of a Pulsar consumer or producer. */
export interface PulsarEndpoint {
  readonly disconnectedTopics: string[];
}

/** The loops of `supervisor` as the health check sees them. */
export function partitionLoops<K>(
  supervisor: PartitionSupervisor<K>,
  opts: {
    /** Messages waiting for the loop of `key` (e.g. its consumer's `queuedMessages`). */
    backlog: (key: K) => number;
    /** The instance parks its loops on purpose now (suspended). */
    paused?: () => boolean;
    name?: (key: K) => string;
    now?: () => number;
  },
): () => LoopProgress[] {
  return () => {
    const now = (opts.now ?? Date.now)();
    const paused = opts.paused?.() ?? false;
    return supervisor.progress().map(({ key, progressAt }) => ({
      key: opts.name?.(key) ?? `partition ${String(key)}`,
      sinceProgressMs: now - progressAt,
      backlog: opts.backlog(key),
      paused,
    }));
  };
}

/**
 * Ready while every consumer and producer is attached to a broker; else names the topics.
 * A function lists the endpoints anew at each probe (a stage's consumers grow with its input).
 */
export function pulsarProbe(
  endpoints: readonly PulsarEndpoint[] | (() => Iterable<PulsarEndpoint>),
): () => boolean {
  return () => {
    const all = typeof endpoints === 'function' ? [...endpoints()] : endpoints;
    const down = [...new Set(all.flatMap((e) => e.disconnectedTopics))];
    if (down.length > 0) {
      throw new Error(`not connected to the broker for ${down.join(', ')} (reconnecting)`);
    }
    return true;
  };
}

/** What a readiness probe needs of an ioredis client. */
export interface RedisLike {
  readonly status: string;
  ping(): Promise<string>;
}

/** Ready when the client's connection is up and Redis answers PING. */
export function redisProbe(redis: RedisLike): () => Promise<boolean> {
  return async () => {
    // ioredis queues commands while disconnected: ask the state first, or PING just waits.
    if (redis.status !== 'ready') throw new Error(`connection ${redis.status}`);
    return (await redis.ping()) === 'PONG';
  };
}

/**
 * Wires a partitioned stage (ingest, aggregator) into /healthz and /readyz: its loops with
 * their consumers' queues, and probes of Pulsar (its consumers and producers), Redis and NATS.
 */
export function watchPartitionedStage(opts: {
  health: { watchLoops(source: () => readonly LoopProgress[]): void };
  readiness: Pick<Readiness, 'watch'>;
  supervisor: PartitionSupervisor<number>;
  consumers: ReadonlyMap<number, { readonly queuedMessages: number } & PulsarEndpoint>;
  producers: readonly PulsarEndpoint[];
  redis: RedisLike;
  checkpointing: { readonly suspended: boolean; ping(): Promise<boolean> };
}): void {
  const { consumers, checkpointing } = opts;
  opts.health.watchLoops(
    partitionLoops(opts.supervisor, {
      backlog: (p) => consumers.get(p)?.queuedMessages ?? 0,
      paused: () => checkpointing.suspended,
    }),
  );
  void opts.readiness.watch(
    'pulsar',
    pulsarProbe(() => [...consumers.values(), ...opts.producers]),
  );
  void opts.readiness.watch('redis', redisProbe(opts.redis));
  void opts.readiness.watch('nats', () => checkpointing.ping());
}
