export {
  FencedError,
  StateLostError,
  PartitionState,
  type PartitionCommit,
  type PartitionSnapshot,
} from './partition-state.ts';
