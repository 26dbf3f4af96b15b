export {
  Actor,
  ActorStoppedError,
  type ActorExit,
  type ActorOptions,
  type ActorState,
  type ActorStats,
  type Behavior,
} from './actor.ts';
export {
  ActorUnavailableError,
  Supervisor,
  type ActorFactory,
  type KeyState,
  type KeyStatus,
  type StartContext,
  type SupervisorEvent,
  type SupervisorOptions,
} from './supervisor.ts';
export { backoffDelay, type BackoffOptions } from './backoff.ts';
export {
  PartitionSupervisor,
  type PartitionEvent,
  type PartitionLoopTask,
  type PartitionSupervisorOptions,
} from './partition-supervisor.ts';
