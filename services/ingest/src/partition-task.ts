// One ingest source partition, end to end: takes ownership in Redis (a new owner epoch that
// is stamped on every envelope it publishes), restores position and watermark, then loops
// over micro-batches: read → operator → publish the records envelopes (each carrying the
// watermark after the batch) and the DLQ entries, awaiting every receipt → commit position +
// watermark → ack. A crash anywhere replays from the last commit with the same state, so the
// replayed records carry the same source positions and the aggregator drops those it already
// applied, whatever the new batch boundaries (docs/architecture.md, "Exactly once").
import type { BatchSource, OutgoingMessage } from '@iot/channel';
import type { RoutedEnvelope } from './ingest-operator.ts';
import { isolatePoison } from '@iot/stage';
import { FencedError, type PartitionSnapshot, type PartitionState } from '@iot/state';
import type { WriterSchema } from './writer-schemas.ts';
import {
  IngestOperator,
  type IngestOptions,
  type IngestStats,
  type SourceMessage,
} from './ingest-operator.ts';

/** Publishing side; each call resolves once the broker confirmed every message. */
export interface IngestSink {
  /** Records envelopes, each to the records partition it names. */
  publishEnvelopes(envelopes: readonly RoutedEnvelope[]): Promise<void>;
  publishDlq(messages: readonly OutgoingMessage[]): Promise<void>;
}

export interface IngestTaskDeps {
  state: PartitionState;
  source: BatchSource<SourceMessage>;
  sink: IngestSink;
  options: IngestOptions;
  now: () => number;
  maxBatch: number;
  batchTimeoutMs: number;
  onBatch?: (stats: IngestBatchStats) => void;
  /** Told when a batch moves on to publishing, then to committing (trace phases). */
  onPhase?: (phase: 'publish' | 'commit') => void;
  /** Loads the newest checkpoint into `state` when Redis has none (docs/architecture.md, "Checkpoints"). */
  restore?: (state: PartitionState) => Promise<PartitionSnapshot | undefined>;
  /** Moves the subscription back to a stored position (a serialized MessageId). */
  seek?: (position: string) => Promise<void>;
  /** Moves the subscription back to where it began (it subscribes at the earliest message). */
  seekToStart?: () => Promise<void>;
  /** The registry's writer schema for a message's schema version (writer-schemas.ts). */
  writerSchema?: (version: Buffer) => Promise<WriterSchema>;
  /**
   * Whether the source partition has nothing beyond `position` (the last one consumed):
   * connected, nothing queued, the partition's last message at or before it.
   */
  caughtUp?: (position: string | null) => Promise<boolean>;
  /** Caught up this long, the task sends idle markers (and again every as long while idle). */
  idleAfterMs?: number;
}

/** What one micro-batch did, for metrics and traces. */
export type IngestBatchStats = IngestStats & {
  /** Source messages consumed. */
  messages: number;
  /** The partition's watermark after the batch (event time, ms; null before the first). */
  watermark: number | null;
};

/** How often an empty batch may ask the broker whether the partition is caught up. */
const CAUGHT_UP_CHECK_MS = 1000;

export class IngestPartitionTask {
  private operator: IngestOperator | null = null;
  private epoch = 0;
  private caughtUpSince: number | null = null;
  private checkedAt: number | null = null;
  private idleSentAt: number | null = null;

  constructor(private readonly deps: IngestTaskDeps) {}

  async start(): Promise<{ epoch: number; existed: boolean; restored: boolean }> {
    const { epoch, snapshot, existed } = await this.deps.state.acquire();
    this.epoch = epoch;
    const restored = existed ? undefined : await this.deps.restore?.(this.deps.state);
    this.operator = IngestOperator.restore(
      restored ?? snapshot,
      this.deps.options,
      this.deps.now(),
    );
    // Resume exactly after the committed position, whatever the subscription's cursor says:
    // after a restore (from a checkpoint, or a savepoint written while we were down) the
    // cursor may be ahead of the state. Anything at or before the position is skipped.
    const position = this.operator.committedPosition;
    if (position !== null) await this.deps.seek?.(position);
    // State that was lost (no checkpoint, or one taken before this partition's first batch)
    // has applied nothing: what the cursor moved past since must be read again.
    else if (!existed) await this.deps.seekToStart?.();
    return { epoch, existed, restored: restored !== undefined };
  }

  /** Resolves each schema version in the batch once (cached across batches). */
  private async writerSchemasOf(
    messages: readonly SourceMessage[],
  ): Promise<Map<string, WriterSchema>> {
    const found = new Map<string, WriterSchema>();
    const resolve = this.deps.writerSchema;
    if (resolve === undefined) return found;
    for (const m of messages) {
      if (!m.schemaVersion?.length) continue;
      const key = m.schemaVersion.toString('hex');
      if (!found.has(key)) found.set(key, await resolve(m.schemaVersion));
    }
    return found;
  }

  async step(): Promise<void> {
    if (this.operator === null) throw new Error('IngestPartitionTask.step() before start()');
    const batch = await this.deps.source.receiveBatch(this.deps.maxBatch, this.deps.batchTimeoutMs);
    if (batch.messages.length === 0) return this.whenQuiet(this.operator);
    this.caughtUpSince = null;
    this.idleSentAt = null;
    const writerSchemas = await this.writerSchemasOf(batch.messages);
    const now = this.deps.now();
    // A message the operator throws on goes to the DLQ (operator_error) instead of failing
    // the batch, which would restart the partition onto the same message for ever.
    const { result } = await isolatePoison(batch.messages.length, {
      run: (length, skip) =>
        this.operator!.process(batch.messages.slice(0, length), now, this.epoch, {
          poisoned: skip,
          writerSchemas,
        }),
      reset: async () => {
        this.operator = IngestOperator.restore(
          await this.deps.state.read(),
          this.deps.options,
          now,
        );
      },
      isFatal: (err) => err instanceof FencedError,
    });
    this.deps.onPhase?.('publish');
    await Promise.all([
      result.envelopes.length > 0 ? this.deps.sink.publishEnvelopes(result.envelopes) : undefined,
      result.dlq.length > 0 ? this.deps.sink.publishDlq(result.dlq) : undefined,
    ]);
    this.deps.onPhase?.('commit');
    await this.deps.state.commit(result.commit);
    await batch.ack();
    this.deps.onBatch?.({
      ...result.stats,
      messages: batch.messages.length,
      watermark: this.operator!.watermark,
    });
  }

  /**
   * Nothing came: if the broker confirms the partition has nothing more (not just a quiet
   * moment, a dead connection or a slow broker) for idleAfterMs, tell the aggregator it is
   * idle. Silence alone never does: a stall must hold the windows open.
   */
  private async whenQuiet(op: IngestOperator): Promise<void> {
    const { caughtUp, idleAfterMs } = this.deps;
    if (caughtUp === undefined || idleAfterMs === undefined) return;
    const now = this.deps.now();
    if (this.idleSentAt !== null && now - this.idleSentAt < idleAfterMs) return;
    if (this.checkedAt !== null && now - this.checkedAt < CAUGHT_UP_CHECK_MS) return;
    this.checkedAt = now;
    if (!(await caughtUp(op.committedPosition))) {
      this.caughtUpSince = null;
      return;
    }
    this.caughtUpSince ??= now;
    if (now - this.caughtUpSince < idleAfterMs) return;
    await this.deps.sink.publishEnvelopes(op.idleMarkers(this.epoch));
    this.idleSentAt = now;
  }
}
