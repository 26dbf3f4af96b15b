export { subjects, type Subjects } from './subjects.ts';
export {
  MessageFormatError,
  decodeAck,
  decodeComplete,
  decodeReport,
  decodeRestoreRequest,
  decodeSavepointReply,
  decodeSavepointRequest,
  decodeStatus,
  decodeTrigger,
  encode,
  type CompleteMsg,
  type ControlAck,
  type ControlAction,
  type EpochKind,
  type ErrorReply,
  type InstanceStatus,
  type ReportMsg,
  type RestoreRequest,
  type SavepointRequest,
  type TriggerMsg,
} from './messages.ts';
export {
  EpochRound,
  participantId,
  type EpochOutcome,
  type EpochRoundOptions,
  type ParticipantKey,
} from './epoch-round.ts';
export { EpochCoordinator, type EpochResult, type RunEpochOptions } from './coordinator.ts';
export { Heartbeater, Membership, MembershipWatcher } from './membership.ts';
export {
  LeaderElection,
  isWrongSequence,
  type LeaderElectionOptions,
  type LeaderEvents,
  type LeaseValue,
} from './leader-election.ts';
export { EpochCounter } from './epoch-counter.ts';
export { gather, type GatherOptions } from './gather.ts';
export {
  CheckpointParticipant,
  PartitionCheckpoint,
  checkpointed,
  type CheckpointParticipantOptions,
  type ParticipantLog,
  type PartitionCheckpointOptions,
} from './participant.ts';
export { ControlClient, type ControlResult } from './control-client.ts';
export { findPartitionSnapshot, restorePartition, type RestoredPartition } from './restore.ts';
export { isNatsUnavailable } from './nats-unavailable.ts';
