export {
  FailoverOwnership,
  instanceName,
  subscribePartitions,
  type PartitionConsumer,
} from './failover-ownership.ts';
export { envelopeProducer, outputProducer } from './producers.ts';
export { Checkpointing, type CheckpointingConfig } from './checkpointing.ts';
