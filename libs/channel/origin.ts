// Where records came from: the source partition, the position there, and the owner epoch of
// the stage that read them (docs/architecture.md, "Exactly once"). For a records envelope the
// position is the last one its ingest batch consumed. Downstream skips anything not beyond
// what it applied.
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
