export {
  FailoverOwnership,
  instanceName,
  PartitionedSubscription,
  subscribePartitions,
  type PartitionConsumer,
  type PartitionedSubscriptionOptions,
} from './failover-ownership.ts';
export {
  connectStage,
  followPartitionCount,
  runPartitionedStage,
  type PartitionContext,
  type PartitionedStageOptions,
  type StageConfig,
  type StageConnections,
} from './partitioned-stage.ts';
export { envelopeProducer, outputProducer } from './producers.ts';
export { Checkpointing, type CheckpointingConfig } from './checkpointing.ts';
export { announceOnControlPlane, type Announcement } from './announcement.ts';
export {
  partitionLoops,
  pulsarProbe,
  redisProbe,
  watchPartitionedStage,
  type PulsarEndpoint,
  type RedisLike,
} from './health.ts';
export {
  BacklogMonitor,
  subscriptionBacklog,
  watchBacklog,
  type BacklogMonitorOptions,
} from './backlog.ts';
export { partitionedStageSpec } from './config.ts';
export {
  BatchClock,
  StageMetrics,
  type StageMetricsOptions,
  type StageName,
} from './stage-metrics.ts';
export { isolatePoison, type Isolated, type Poisoned, type PoisonSearch } from './poison.ts';
