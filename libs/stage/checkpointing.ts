// A stage's part in checkpoints (docs/architecture.md, "Checkpoints"): one CheckpointParticipant per process,
// snapshots of each owned partition's Redis state at micro-batch boundaries, uploaded to S3
// when the checkpointer triggers an epoch; and restore of a partition whose Redis state is
// gone from the newest complete epoch, or from a named epoch when an operator asks (iotctl).
import { connect, type NatsConnection } from 'nats';
import type { PartitionLoopTask } from '@iot/actors';
import { CheckpointStore, createS3Client } from '@iot/checkpoint-storage';
import {
  CheckpointParticipant,
  checkpointed,
  restorePartition,
  subjects,
  type PartitionCheckpoint,
} from '@iot/control-plane';
import { natsConnection, redact } from '@iot/config';
import type { Logger } from '@iot/observability';
import type { PartitionSnapshot, PartitionState } from '@iot/state';

export interface CheckpointingConfig {
  NATS_URL: string;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  /** A NATS .creds file (operator/JWT auth), instead of user and password. */
  NATS_CREDS?: string | undefined;
  S3_ENDPOINT: string;
  S3_REGION: string;
  S3_ACCESS_KEY: string;
  S3_SECRET_KEY: string;
  S3_FORCE_PATH_STYLE: boolean;
  S3_BUCKET: string;
  CHECKPOINT_S3_PREFIX: string;
  CONTROL_SUBJECT_PREFIX: string;
}

export class Checkpointing {
  private readonly handles = new Map<number, PartitionCheckpoint>();
  private lagOf: ((partition: number) => number | undefined) | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly store: CheckpointStore,
    private readonly participant: CheckpointParticipant,
    private readonly service: string,
    private readonly log: Logger,
  ) {}

  static async connect(
    config: CheckpointingConfig,
    service: string,
    instance: string,
    log: Logger,
    /** Base URL of the process's ops server, announced for the operations console. */
    ops?: string,
  ): Promise<Checkpointing> {
    let nc: NatsConnection;
    try {
      nc = await connect({ ...natsConnection(config), name: instance });
    } catch (err) {
      // NATS_URL may carry a password: never print it (libs/config/redact.ts).
      throw new Error(
        redact(
          `cannot reach NATS at NATS_URL=${config.NATS_URL}: ${String(err)}` +
            ' (is it running? are NATS_USER and NATS_PASSWORD, or NATS_CREDS, right?)',
          [config.NATS_PASSWORD ?? ''],
        ),
        // The client's error: whether NATS is away or refused us (isNatsUnavailable).
        { cause: err },
      );
    }
    const store = new CheckpointStore({
      s3: createS3Client({
        endpoint: config.S3_ENDPOINT,
        region: config.S3_REGION,
        accessKeyId: config.S3_ACCESS_KEY,
        secretAccessKey: config.S3_SECRET_KEY,
        forcePathStyle: config.S3_FORCE_PATH_STYLE,
      }),
      bucket: config.S3_BUCKET,
      prefix: config.CHECKPOINT_S3_PREFIX,
    });
    const participant = new CheckpointParticipant({
      nc,
      subjects: subjects(config.CONTROL_SUBJECT_PREFIX),
      store,
      service,
      instance,
      ...(ops === undefined ? {} : { ops }),
      log: (level, msg, fields) => log[level](msg, fields),
    });
    return new Checkpointing(nc, store, participant, service, log);
  }

  /** Wraps a partition's task so it snapshots (and parks when suspended) between batches. */
  wrap(partition: number, state: PartitionState, task: PartitionLoopTask): PartitionLoopTask {
    const handle = this.participant.partition(partition, {
      snapshot: () => state.read(),
      ownerEpoch: () => state.ownerEpoch,
      lag: () => this.lagOf?.(partition),
      // Told to restore while running: the stored snapshot replaces the Redis state (fenced by
      // our owner epoch), then the task starts over from it exactly as after a restart: it
      // re-reads the state, seeks to the restored position and republishes pending outputs.
      restore: async (from) => {
        const found = await restorePartition({
          store: this.store,
          state,
          service: this.service,
          partition,
          from,
        });
        if (found === undefined) {
          throw new Error(`${from} holds no snapshot of ${this.service} partition ${partition}`);
        }
        await task.start();
        this.log.info('restored partition state on request', {
          partition,
          from,
          epoch: found.manifest.epoch,
        });
      },
    });
    this.handles.set(partition, handle);
    return checkpointed(task, handle);
  }

  /** Where status (`iotctl status`) reads each owned partition's lag, e.g. `backlog.of`. */
  reportLag(lagOf: (partition: number) => number | undefined): void {
    this.lagOf = lagOf;
  }

  /** Suspended by an operator: the partition loops park at their boundaries on purpose. */
  get suspended(): boolean {
    return this.participant.suspended;
  }

  /** Readiness probe of the control plane: the NATS connection answers a PING. */
  async ping(): Promise<boolean> {
    if (this.nc.isClosed()) throw new Error('connection closed (reconnect attempts exhausted)');
    await this.nc.rtt();
    return true;
  }

  /** The partition is no longer ours (stopped or fenced): stop reporting for it. */
  release(partition: number): void {
    this.handles.get(partition)?.release();
    this.handles.delete(partition);
  }

  /** For a task's `restore`: loads the newest complete epoch's snapshot into `state`. */
  restorer(partition: number): (state: PartitionState) => Promise<PartitionSnapshot | undefined> {
    return async (state) => {
      const found = await restorePartition({
        store: this.store,
        state,
        service: this.service,
        partition,
      });
      if (found !== undefined) {
        this.log.info('restored partition state from checkpoint storage', {
          partition,
          epoch: found.manifest.epoch,
          kind: found.manifest.kind,
        });
      }
      return found?.snapshot;
    };
  }

  async close(): Promise<void> {
    await this.participant.close();
    await this.nc.drain();
  }
}
