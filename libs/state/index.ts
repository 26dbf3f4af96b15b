export {
  FencedError,
  StateLostError,
  PartitionState,
  partitionStateKeys,
  wipePartitionStates,
  type PartitionCommit,
  type PartitionSnapshot,
} from './partition-state.ts';
export {
  createRedis,
  deleteKeys,
  describeRedis,
  scanKeys,
  type RedisClient,
  type RedisTarget,
} from './redis-client.ts';
