export {
  FencedError,
  StateLostError,
  PartitionState,
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
