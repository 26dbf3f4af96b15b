// The checkpointer's metrics (`iot_checkpoint_*`): epochs by kind and result, their duration
// and size, the last complete epoch and its age, retention, and which instance leads. The
// Checkpointer sees them only through its `CheckpointerMetrics` port.
import { totalBytes, type Manifest } from '@iot/checkpoint-storage';
import type { Counter, Gauge, Histogram, MetricsRegistry } from '@iot/observability';
import type { CheckpointerMetrics } from './checkpointer.ts';
import type { EpochKind } from '@iot/control-plane';

export class CheckpointMetrics implements CheckpointerMetrics {
  private readonly duration: Histogram<'kind' | 'result'>;
  private readonly epochs: Counter<'kind' | 'result'>;
  private readonly lastBytes: Gauge<never>;
  private readonly storedBytes: Counter<never>;
  private readonly lastEpoch: Gauge<never>;
  private readonly lastEpochAt: Gauge<never>;
  private readonly expiredTotal: Counter<never>;
  private readonly leaderGauge: Gauge<never>;

  constructor(
    registry: MetricsRegistry,
    intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.duration = registry.histogram({
      name: 'iot_checkpoint_epoch_duration_seconds',
      help: 'Time from trigger to manifest (or abandon), by kind and result',
      labelNames: ['kind', 'result'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    });
    this.epochs = registry.counter({
      name: 'iot_checkpoint_epochs_total',
      help: 'Epochs ended, by kind (checkpoint, savepoint) and result (complete, abandoned)',
      labelNames: ['kind', 'result'] as const,
    });
    this.lastBytes = registry.gauge({
      name: 'iot_checkpoint_last_epoch_bytes',
      help: 'Stored size of the last complete epoch',
    });
    this.storedBytes = registry.counter({
      name: 'iot_checkpoint_bytes_total',
      help: 'Snapshot bytes of complete epochs',
    });
    this.lastEpoch = registry.gauge({
      name: 'iot_checkpoint_last_complete_epoch',
      help: 'Number of the last complete epoch',
    });
    this.lastEpochAt = registry.gauge({
      name: 'iot_checkpoint_last_complete_timestamp_seconds',
      help: 'When the last epoch completed (Unix seconds); time() minus it is its age',
    });
    this.expiredTotal = registry.counter({
      name: 'iot_checkpoint_expired_epochs_total',
      help: 'Checkpoints deleted by retention',
    });
    this.leaderGauge = registry.gauge({
      name: 'iot_checkpoint_leader',
      help: '1 while this instance leads',
    });
    registry
      .gauge({
        name: 'iot_checkpoint_interval_seconds',
        help: 'CHECKPOINT_INTERVAL: how often the leader starts an epoch',
      })
      .set(intervalMs / 1000);
  }

  /**
   * The newest complete epoch in the store at start, so the age of the last epoch survives a
   * restart or a failover (an alert on it would otherwise fire, or stay silent, at the wrong
   * time).
   */
  startFrom(newest: Manifest): void {
    this.lastEpoch.set(newest.epoch);
    this.lastEpochAt.set(Date.parse(newest.completedAt) / 1000);
    this.lastBytes.set(totalBytes(newest));
  }

  epochDone(
    kind: EpochKind,
    outcome: 'complete' | 'abandoned',
    seconds: number,
    bytes: number,
    epoch: number,
  ): void {
    this.duration.observe({ kind, result: outcome }, seconds);
    this.epochs.inc({ kind, result: outcome });
    if (outcome !== 'complete') return;
    this.lastBytes.set(bytes);
    this.storedBytes.inc(bytes);
    this.lastEpoch.set(epoch);
    this.lastEpochAt.set(this.now() / 1000);
  }

  expired(n: number): void {
    this.expiredTotal.inc(n);
  }

  leader(isLeader: boolean): void {
    this.leaderGauge.set(isLeader ? 1 : 0);
  }
}
