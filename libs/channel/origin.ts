// Where a record came from: the source partition, its position there, and the owner epoch of
// the stage that read it (docs/architecture.md, "Exactly once"). Downstream skips anything not beyond what it applied.
import { MessageId } from '@iot/pulsar';

export interface Origin {
  /** Source partition index on the upstream topic. */
  partition: number;
  /** Serialized MessageId of the source message (MessageId.serialize()). */
  position: string;
  /** Owner epoch of the upstream actor that published it. */
  epoch: number;
}

/** What a downstream actor remembers per upstream channel (one per source partition). */
export interface ChannelProgress {
  /** Last applied source position (serialized MessageId), null before the first. */
  position: string | null;
  /** Highest owner epoch seen on this channel. */
  epoch: number;
}

export type OriginVerdict = 'apply' | 'duplicate' | 'fenced';

/**
 * Decides what to do with a record from `origin` given the channel's progress: records from an
 * older owner epoch are fenced; positions at or before the last applied one are duplicates
 * (a re-published or redelivered record).
 */
export function judgeOrigin(progress: ChannelProgress | undefined, origin: Origin): OriginVerdict {
  if (progress === undefined) return 'apply';
  if (origin.epoch < progress.epoch) return 'fenced';
  if (progress.position === null) return 'apply';
  return comparePositions(origin.position, progress.position) > 0 ? 'apply' : 'duplicate';
}

/** Orders two serialized MessageIds of one partition (without parsing them). */
export function comparePositions(a: string, b: string): number {
  return MessageId.compareSerialized(a, b);
}

/** The progress after applying `origin` (call only for 'apply'). */
export function advance(progress: ChannelProgress | undefined, origin: Origin): ChannelProgress {
  return { position: origin.position, epoch: Math.max(progress?.epoch ?? 0, origin.epoch) };
}
