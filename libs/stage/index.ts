export {
  FailoverOwnership,
  instanceName,
  subscribePartitions,
  type PartitionConsumer,
} from './failover-ownership.ts';
export { envelopeProducer, outputProducer } from './producers.ts';
export { Checkpointing, type CheckpointingConfig } from './checkpointing.ts';
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
export { isolatePoison, type Isolated, type Poisoned, type PoisonSearch } from './poison.ts';
