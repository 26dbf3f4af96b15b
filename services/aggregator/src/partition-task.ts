// One aggregator partition, end to end: takes ownership in Redis (a new owner epoch), restores
// the window operator, re-publishes outputs left pending by a crash, then loops over
// micro-batches: read → operator → commit (state + positions + pending outputs, atomically)
// → publish → forget pending → ack. Pulsar is behind the two ports below, so the order of
// these steps is the whole exactly-once argument and lives here alone (docs/architecture.md, "Exactly once").
import {
  decodeChannelMessage,
  ChannelFormatError,
  ChannelGapError,
  PROP,
  type BatchSource,
  type IncomingMessage,
  type RecordsEnvelope,
} from '@iot/channel';
import { isolatePoison } from '@iot/stage';
import type { PartitionSnapshot, PartitionState } from '@iot/state';
import {
  WindowOperator,
  deserializeOutput,
  serializeOutput,
  type BatchStats,
  type Output,
  type WindowOperatorOptions,
} from './window-operator.ts';

/** A records envelope as read from the records partition. */
export interface RecordsMessage extends IncomingMessage {
  /** Serialized MessageId on the records partition (kept to seek back on restore). */
  position?: string;
}

export type RecordsSource = BatchSource<RecordsMessage>;

/** Publishes outputs in order and resolves once the broker confirmed every one. */
export interface OutputSink {
  publish(outputs: readonly Output[]): Promise<void>;
}

export interface PartitionTaskDeps {
  state: PartitionState;
  source: RecordsSource;
  sink: OutputSink;
  options: WindowOperatorOptions;
  now: () => number;
  maxBatch: number;
  batchTimeoutMs: number;
  onBatch?: (stats: AggregatorBatchStats) => void;
  /** Told when a batch moves on to committing, then to publishing (trace phases). */
  onPhase?: (phase: 'commit' | 'publish') => void;
  /** Loads the newest checkpoint into `state` when Redis has none (docs/architecture.md, "Checkpoints"). */
  restore?: (state: PartitionState) => Promise<PartitionSnapshot | undefined>;
  /** Moves the subscription back to a stored position (a serialized MessageId). */
  seek?: (position: string) => Promise<void>;
  /** Moves the subscription back to where it began (it subscribes at the earliest message). */
  seekToStart?: () => Promise<void>;
}

/** What one micro-batch did, for metrics and traces. */
export type AggregatorBatchStats = BatchStats & {
  /** Envelopes consumed (0: a batch that only let time close windows). */
  envelopes: number;
  /** Envelopes that were not ours to decode (bad_channel_message). */
  malformed: number;
  /** Why the operator threw, per envelope sent to the DLQ as operator_error. */
  poisoned: string[];
  /** Combined upstream watermark after the batch (null until every partition reported). */
  watermark: number | null;
  /** Windows open after the batch. */
  openWindows: number;
};

/** Meta key of the last records-partition position a committed batch consumed. */
export const META_INPUT_POSITION = 'input-position';

export class AggregatorPartitionTask {
  private operator: WindowOperator | null = null;

  constructor(private readonly deps: PartitionTaskDeps) {}

  /** Takes ownership and restores state; returns the epoch and whether state existed. */
  async start(): Promise<{
    epoch: number;
    existed: boolean;
    restored: boolean;
    republished: number;
  }> {
    const { epoch, snapshot: current, existed } = await this.deps.state.acquire();
    const restored = existed ? undefined : await this.deps.restore?.(this.deps.state);
    const snapshot = restored ?? current;
    this.operator = WindowOperator.restore(snapshot, this.deps.options, this.deps.now());
    // Resume from the last committed records position whatever the cursor says (it may be
    // ahead of a restored state); records already applied are skipped by their origin.
    const position = snapshot.meta.get(META_INPUT_POSITION);
    if (position !== undefined) await this.deps.seek?.(position);
    // State that was lost (no checkpoint, or one taken before this partition's first batch)
    // has applied nothing: what the cursor moved past since must be read again.
    else if (!existed) await this.deps.seekToStart?.();
    // Outputs committed but maybe never published before the last owner stopped.
    const pending = snapshot.pending.map(deserializeOutput);
    if (pending.length > 0) {
      await this.deps.sink.publish(pending);
      await this.deps.state.trimPending(pending.length);
    }
    return { epoch, existed, restored: restored !== undefined, republished: pending.length };
  }

  /** One micro-batch (an empty one still lets time close windows). */
  async step(): Promise<void> {
    if (this.operator === null) throw new Error('AggregatorPartitionTask.step() before start()');
    const batch = await this.deps.source.receiveBatch(this.deps.maxBatch, this.deps.batchTimeoutMs);
    const decoded: RecordsEnvelope[] = [];
    const decodedFrom: IncomingMessage[] = [];
    const malformed: Output[] = [];
    for (const m of batch.messages) {
      try {
        decoded.push(decodeChannelMessage(m));
        decodedFrom.push(m);
      } catch (err) {
        if (!(err instanceof ChannelFormatError)) throw err;
        malformed.push(dlqOutput(m, 'bad_channel_message', err.message));
      }
    }
    const now = this.deps.now();
    // An envelope the operator throws on goes to the DLQ (operator_error), committed with the
    // batch, instead of restarting the partition onto it for ever.
    const { result, poisoned } = await isolatePoison(decoded.length, {
      run: (length, skip) =>
        this.operator!.process(
          decoded.slice(0, length).filter((_, i) => !skip.has(i)),
          now,
        ),
      reset: async () => {
        this.operator = WindowOperator.restore(
          await this.deps.state.read(),
          this.deps.options,
          now,
        );
      },
      // A gap is not the envelope's fault: the loop restarts and re-reads from its committed
      // position (docs/architecture.md, "Exactly once"), never a DLQ entry.
      isFatal: (err) => err instanceof ChannelGapError,
    });
    const badChannel = malformed.length;
    for (const { index, error } of poisoned) {
      const detail = `the window operator threw on it: ${error.message}`;
      malformed.push(dlqOutput(decodedFrom[index]!, 'operator_error', detail));
    }
    const outputs = [...malformed, ...result.outputs];
    const meta = new Map(result.commit.meta);
    const last = batch.messages.at(-1)?.position;
    if (last !== undefined) meta.set(META_INPUT_POSITION, last);
    this.deps.onPhase?.('commit');
    await this.deps.state.commit({
      ...result.commit,
      meta,
      // The operator serialized its own outputs already (in `outputs` order, after these).
      appendPending: [...malformed.map(serializeOutput), ...(result.commit.appendPending ?? [])],
    });
    if (outputs.length > 0) {
      this.deps.onPhase?.('publish');
      await this.deps.sink.publish(outputs);
      await this.deps.state.trimPending(outputs.length);
    }
    if (batch.messages.length > 0) await batch.ack();
    this.deps.onBatch?.({
      ...result.stats,
      envelopes: batch.messages.length,
      malformed: badChannel,
      poisoned: poisoned.map((p) => p.error.message),
      watermark: result.watermark,
      openWindows: this.operator.openWindows,
    });
  }
}

function dlqOutput(m: IncomingMessage, reason: string, detail: string): Output {
  return {
    topic: 'dlq',
    message: {
      payload: Buffer.from(m.payload),
      properties: { ...m.properties, [PROP.reason]: reason, [PROP.detail]: detail.slice(0, 1000) },
    },
  };
}
