export {
  FencedError,
  PartitionState,
  type PartitionCommit,
  type PartitionSnapshot,
} from './partition-state.ts';
