// The metrics every processing stage exports under the same names, told apart by the `stage`
// label, so one dashboard query covers ingest, aggregator and writer: records in and out, the
// DLQ by reason, micro-batch size and duration, the consumer backlog, watermarks and
// event-time lag, owned partitions and the suspended state. Values read from elsewhere (the
// backlog the admin API reports, lag = now − watermark) are computed at scrape time, so a
// stalled stage shows its lag growing rather than its last figure.
import { performance } from 'node:perf_hooks';
import type { Counter, Histogram, MetricsRegistry } from '@iot/observability';
import type { BacklogMonitor } from './backlog.ts';

export type StageName = 'ingest' | 'aggregator' | 'writer';

/** Records per micro-batch: ingest takes up to 5,000 messages, the writer 5,000 rows. */
const BATCH_SIZE_BUCKETS = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000];
const BATCH_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface StageMetricsOptions {
  /** Wall clock in ms (event-time lag); default Date.now. */
  now?: () => number;
}

export class StageMetrics {
  readonly recordsIn: Counter<'stage' | 'partition'>;
  readonly recordsOut: Counter<'stage'>;
  readonly dlq: Counter<'stage' | 'reason'>;
  readonly skipped: Counter<'stage' | 'reason'>;
  readonly restarts: Counter<'stage'>;
  readonly batchSize: Histogram<'stage'>;
  readonly batchDuration: Histogram<'stage'>;
  private readonly watermarks = new Map<string, number>();
  private readonly backlogs: { monitor: BacklogMonitor; owned?: () => readonly number[] }[] = [];
  private owned: () => number = () => 0;
  private suspended: (() => boolean) | undefined;
  private readonly now: () => number;

  constructor(
    private readonly registry: MetricsRegistry,
    readonly stage: StageName,
    opts: StageMetricsOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    const stageLabel = ['stage'] as const;
    this.recordsIn = registry.counter({
      name: 'iot_records_in_total',
      help: 'Records (ingest: source messages) a stage consumed, by input partition',
      labelNames: ['stage', 'partition'] as const,
    });
    this.recordsOut = registry.counter({
      name: 'iot_records_out_total',
      help: 'What a stage produced: ingest records published, aggregator window results and alerts, writer rows and alerts written',
      labelNames: stageLabel,
    });
    this.dlq = registry.counter({
      name: 'iot_dlq_total',
      help: 'Messages a stage sent to the DLQ, by reason',
      labelNames: ['stage', 'reason'] as const,
    });
    this.skipped = registry.counter({
      name: 'iot_records_skipped_total',
      help: 'Records consumed again and skipped as already applied (redelivered, duplicate) or from a fenced owner',
      labelNames: ['stage', 'reason'] as const,
    });
    this.restarts = registry.counter({
      name: 'iot_partition_restarts_total',
      help: 'Partition loops restarted after a failure',
      labelNames: stageLabel,
    });
    this.batchSize = registry.histogram({
      name: 'iot_batch_size',
      help: 'Records (ingest: messages) per micro-batch',
      labelNames: stageLabel,
      buckets: BATCH_SIZE_BUCKETS,
    });
    this.batchDuration = registry.histogram({
      name: 'iot_batch_duration_seconds',
      help: 'Micro-batch time from its input received to its ack (writer: from its first message)',
      labelNames: stageLabel,
      buckets: BATCH_SECONDS_BUCKETS,
    });
    registry.gauge({
      name: 'iot_watermark_seconds',
      help: "A partition's watermark (event time, Unix seconds)",
      labelNames: ['stage', 'partition'] as const,
      collect: (g) => {
        g.reset();
        for (const [partition, ms] of this.watermarks) g.set({ stage, partition }, ms / 1000);
      },
    });
    registry.gauge({
      name: 'iot_event_time_lag_seconds',
      help: 'Wall clock minus the partition watermark, at scrape time',
      labelNames: ['stage', 'partition'] as const,
      collect: (g) => {
        g.reset();
        const now = this.now();
        for (const [partition, ms] of this.watermarks) {
          g.set({ stage, partition }, (now - ms) / 1000);
        }
      },
    });
    registry.gauge({
      name: 'iot_consumer_backlog_messages',
      help: "Messages not yet acknowledged on the stage's subscription (Pulsar admin stats, polled every 5 s), by input partition",
      labelNames: ['stage', 'topic', 'partition'] as const,
      collect: (g) => {
        g.reset();
        for (const { monitor, owned } of this.backlogs) {
          const mine = owned === undefined ? undefined : new Set(owned());
          for (const [partition, n] of monitor.all()) {
            if (mine !== undefined && !mine.has(partition)) continue;
            g.set({ stage, topic: monitor.topic, partition }, n);
          }
        }
      },
    });
    registry.gauge({
      name: 'iot_owned_partitions',
      help: 'Input partitions this instance owns (writer: inputs it consumes)',
      labelNames: stageLabel,
      collect: (g) => g.set({ stage }, this.owned()),
    });
  }

  /** One micro-batch: its records in, on which partition, and how long it took. */
  batch(partition: number, records: number, seconds: number): void {
    const stage = this.stage;
    this.recordsIn.inc({ stage, partition }, records);
    this.batchSize.observe({ stage }, records);
    this.batchDuration.observe({ stage }, seconds);
  }

  out(n: number): void {
    if (n > 0) this.recordsOut.inc({ stage: this.stage }, n);
  }

  toDlq(reason: string, n: number): void {
    if (n > 0) this.dlq.inc({ stage: this.stage, reason }, n);
  }

  skip(reason: string, n: number): void {
    if (n > 0) this.skipped.inc({ stage: this.stage, reason }, n);
  }

  restarted(): void {
    this.restarts.inc({ stage: this.stage });
  }

  /** The partition's watermark after a batch (epoch ms); null leaves the last one. */
  watermark(partition: number, ms: number | null): void {
    if (ms !== null) this.watermarks.set(String(partition), ms);
  }

  /** A partition this instance no longer owns: its watermark and lag series go. */
  release(partition: number): void {
    this.watermarks.delete(String(partition));
  }

  /** Exports `monitor`'s backlog; `owned` limits it to the partitions this instance owns. */
  watchBacklog(monitor: BacklogMonitor, owned?: () => readonly number[]): void {
    this.backlogs.push(owned === undefined ? { monitor } : { monitor, owned });
  }

  ownedPartitions(count: () => number): void {
    this.owned = count;
  }

  /** `iot_pipeline_suspended`: 1 while `iotctl suspend` parks this instance's loops. */
  watchSuspended(suspended: () => boolean): void {
    if (this.suspended === undefined) {
      this.registry.gauge({
        name: 'iot_pipeline_suspended',
        help: '1 while the pipeline is suspended (iotctl suspend) and this instance parks its loops',
        collect: (g) => g.set(this.suspended?.() === true ? 1 : 0),
      });
    }
    this.suspended = suspended;
  }
}

/**
 * Times micro-batches: wraps a task's source so the moment a batch arrives is kept, and
 * `elapsed()` after the batch's ack gives its processing time (without the wait for input).
 */
export class BatchClock {
  private receivedAt = performance.now();

  wrap<B>(source: { receiveBatch(max: number, timeoutMs: number): Promise<B> }): {
    receiveBatch(max: number, timeoutMs: number): Promise<B>;
  } {
    return {
      receiveBatch: async (max, timeoutMs) => {
        const batch = await source.receiveBatch(max, timeoutMs);
        this.receivedAt = performance.now();
        return batch;
      },
    };
  }

  /** Seconds since the last batch arrived. */
  elapsed(): number {
    return (performance.now() - this.receivedAt) / 1000;
  }
}
