// The skeleton of a partitioned stage's main (ingest, aggregator): its connections (Pulsar,
// Redis, the control plane), one loop per owned partition of its input under
// PartitionSupervisor with Failover ownership, checkpointing around each loop, health and
// readiness, lag for `iotctl status`, and the order things stop in. The service's main
// creates its producers and says how to build a partition's task; nothing else.
import { pulsarCredentials } from '@iot/config';
import { PartitionSupervisor, type PartitionLoopTask } from '@iot/actors';
import { whenReachable, type ServiceRuntime } from '@iot/observability';
import { isNatsUnavailable } from '@iot/control-plane';
import { MessageId, PartitionWatch, PulsarClient, type Consumer, type Producer } from '@iot/pulsar';
import {
  FencedError,
  PartitionState,
  createRedis,
  type RedisClient,
  type RedisTarget,
} from '@iot/state';
import { watchBacklog } from './backlog.ts';
import { Checkpointing, type CheckpointingConfig } from './checkpointing.ts';
import {
  FailoverOwnership,
  instanceName,
  PartitionedSubscription,
  type PartitionedSubscriptionOptions,
} from './failover-ownership.ts';
import { watchPartitionedStage } from './health.ts';
import type { StageMetrics } from './stage-metrics.ts';

export interface StageConfig extends CheckpointingConfig {
  PULSAR_URL: string;
  PULSAR_ADMIN_URL: string;
  PULSAR_AUTH_TOKEN?: string | undefined;
  PULSAR_TLS_TRUST_CERTS?: string | undefined;
  PULSAR_PARTITIONS_REFRESH: number;
  PULSAR_SUBSCRIPTION: string;
  REDIS_URL: string;
  REDIS_USER?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
  REDIS_CLUSTER_NODES?: RedisTarget['REDIS_CLUSTER_NODES'];
  STATE_NAMESPACE: string;
}

/** What a partitioned stage connects to; closed last at shutdown. */
export interface StageConnections {
  client: PulsarClient;
  redis: RedisClient;
  checkpointing: Checkpointing;
}

/**
 * Connects to Pulsar, Redis and the control plane, and registers their closing; not ready
 * ('processing') until runPartitionedStage has subscribed.
 */
export async function connectStage(
  svc: ServiceRuntime<StageConfig>,
  service: string,
): Promise<StageConnections> {
  const { config, log, shutdown } = svc;
  svc.readiness.set('processing', false, 'connecting');
  const client = new PulsarClient({
    serviceUrl: config.PULSAR_URL,
    ...pulsarCredentials(config),
    partitionsRefreshMs: config.PULSAR_PARTITIONS_REFRESH,
  });
  // A single server, or a Redis Cluster when REDIS_CLUSTER_NODES is set.
  const redis = createRedis(config);
  shutdown.onStop('redis', () => redis.quit(), { last: true });
  shutdown.onStop('pulsar', () => client.close(), { last: true });
  // NATS may come up after the stage (a restart of both): wait for it; a refusal exits.
  const checkpointing = await whenReachable(
    svc,
    { check: 'nats', what: 'NATS', fields: { url: config.NATS_URL }, transient: isNatsUnavailable },
    () => Checkpointing.connect(config, service, instanceName(service), log, svc.opsUrl),
  );
  shutdown.onStop('control-plane', () => checkpointing.close(), { last: true });
  return { client, redis, checkpointing };
}

/**
 * Follows the partition count of a topic the stage does not consume but depends on (the
 * aggregator: the source topic's; ingest: the records topic's) every
 * PULSAR_PARTITIONS_REFRESH, from the count read now; stopped at shutdown.
 */
export async function followPartitionCount(
  svc: ServiceRuntime<StageConfig>,
  client: PulsarClient,
  topic: string,
  onGrow: (from: number, to: number) => void,
): Promise<PartitionWatch> {
  const { config, log, shutdown } = svc;
  const watch = new PartitionWatch({
    count: () => client.getPartitionCount(topic),
    initial: await client.getPartitionCount(topic),
    intervalMs: config.PULSAR_PARTITIONS_REFRESH,
    onGrow,
    onError: (err) => log.warn('cannot read a partition count; trying again', { topic, err }),
  }).start();
  shutdown.onStop(`partitions of ${topic}`, () => watch.stop());
  return watch;
}

/** What the service's main supplies for one owned partition. */
export interface PartitionContext {
  partition: number;
  consumer: Consumer;
  state: PartitionState;
  /** Moves the partition's subscription to a committed position (a serialized MessageId). */
  seek(position: string): Promise<void>;
  /**
   * Moves it to its start (the subscription begins at Earliest): for a partition with neither
   * state nor a committed position, which has applied nothing the cursor moved past.
   */
  seekToStart(): Promise<void>;
}

export interface PartitionedStageOptions {
  service: string;
  /** The input topic, read through the Failover subscription PULSAR_SUBSCRIPTION. */
  topic: string;
  subscribe?: Pick<PartitionedSubscriptionOptions, 'receiverQueueSize' | 'corruptMessages'>;
  /** The stage's producers: probed for readiness, closed after the loops stopped. */
  producers: readonly Producer[];
  /** The partition's loop task; it is wrapped with checkpointing here. */
  task(ctx: PartitionContext): PartitionLoopTask;
  /** The stage's iot_* metrics: restarts, owned partitions, backlog, suspended are set here. */
  metrics: StageMetrics;
  /** Told when this instance stops owning a partition (handed away, fenced or stopping). */
  onPartitionReleased?(partition: number): void;
  /** Told of partitions added to the input while running, after they were subscribed to. */
  onPartitionsAdded?(partitions: readonly number[]): void;
  /** Extra fields of the `consuming` log line. */
  describe?: () => Record<string, unknown>;
}

/** Runs the stage until shutdown: subscribes, owns what the broker gives, reports health. */
export async function runPartitionedStage(
  svc: ServiceRuntime<StageConfig>,
  conns: StageConnections,
  opts: PartitionedStageOptions,
): Promise<PartitionedSubscription> {
  const { config, log, readiness, health, shutdown } = svc;
  const { client, redis, checkpointing } = conns;
  const { service, metrics } = opts;

  const subscription = await PartitionedSubscription.open(client, {
    topic: opts.topic,
    subscription: config.PULSAR_SUBSCRIPTION,
    consumerName: instanceName(service),
    ...opts.subscribe,
    refreshMs: config.PULSAR_PARTITIONS_REFRESH,
    onRefreshError: (err) =>
      log.warn('cannot read the partition count of the input topic; trying again', {
        topic: opts.topic,
        err,
      }),
    onAdded: (partitions) => {
      log.info('subscribed to new partitions of the input topic', {
        topic: opts.topic,
        partitions,
      });
      opts.onPartitionsAdded?.(partitions);
    },
  });
  const { byPartition } = subscription;

  const supervisor: PartitionSupervisor<number> = new PartitionSupervisor<number>({
    create: (partition) => {
      const consumer = byPartition.get(partition)!;
      const state = new PartitionState(redis, service, partition, config.STATE_NAMESPACE);
      const seek = (position: string) => consumer.seek(MessageId.parse(position));
      const seekToStart = async () => {
        log.info(
          'no committed position (a first start, or state lost with none checkpointed): ' +
            'reading the partition from its start',
          { partition, topic: consumer.topic },
        );
        await consumer.seek(MessageId.earliest);
      };
      const task = opts.task({ partition, consumer, state, seek, seekToStart });
      return checkpointing.wrap(partition, state, task);
    },
    beforeRestart: (partition) => byPartition.get(partition)!.redeliverUnacknowledged(),
    isFenced: (err) => err instanceof FencedError,
    onEvent: (e) => {
      if (e.kind === 'stopped' || e.kind === 'fenced') {
        checkpointing.release(e.key);
        metrics.release(e.key);
        opts.onPartitionReleased?.(e.key);
      }
      if (e.kind === 'failed') {
        metrics.restarted();
        log.error('partition loop failed; restarting from committed state', {
          partition: e.key,
          err: e.error,
          delayMs: e.delayMs,
        });
      } else log.info(`partition ${e.kind}`, { partition: e.key });
    },
  });
  const ownership = new FailoverOwnership(subscription, supervisor);
  ownership.start();
  // Health and readiness: loops with waiting input must progress; dependencies must answer.
  watchPartitionedStage({
    health,
    readiness,
    supervisor,
    consumers: byPartition,
    producers: opts.producers,
    redis,
    checkpointing,
  });
  // Lag for `iotctl status`: the subscription's backlog per partition, from the admin API.
  const backlog = watchBacklog(config, subscription.sources, config.PULSAR_SUBSCRIPTION, log);
  checkpointing.reportLag((p) => backlog.of(p));
  metrics.watchBacklog(backlog, () => supervisor.owned);
  metrics.ownedPartitions(() => supervisor.owned.length);
  metrics.watchSuspended(() => checkpointing.suspended);
  shutdown.onStop('backlog', () => backlog.stop());
  readiness.set('processing', true);
  log.info('consuming', {
    topic: opts.topic,
    partitions: subscription.sources.length,
    ...opts.describe?.(),
  });

  // Stop at a micro-batch boundary (everything committed), then flush and close.
  shutdown.onStop('partitions', () => ownership.stop());
  shutdown.onStop('consumers', () => subscription.close());
  shutdown.onStop('producers', () => Promise.all(opts.producers.map((p) => p.close())));
  return subscription;
}
