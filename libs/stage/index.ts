export {
  FailoverOwnership,
  instanceName,
  subscribePartitions,
  type PartitionConsumer,
} from './failover-ownership.ts';
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
  exportBacklog,
  subscriptionBacklog,
  watchBacklog,
  type BacklogMonitorOptions,
} from './backlog.ts';
