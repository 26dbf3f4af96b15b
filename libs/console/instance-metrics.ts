// What one instance's /metrics says about the pipeline, by the names in metric-names.ts. Pure:
// samples in, plain JSON-able facts out (partition keys are strings, as in JSON).
import { METRIC } from './metric-names.ts';
import type { Sample } from './prometheus-text.ts';

export interface DlqCount {
  stage: string;
  reason: string;
  total: number;
}

export interface CheckpointFacts {
  lastEpoch?: number;
  /** Seconds since the Unix epoch. */
  lastCompleteAt?: number;
  lastBytes?: number;
  /** Epochs ended, by result (complete, abandoned). */
  epochs: Record<string, number>;
}

export interface InstanceMetrics {
  recordsIn: number;
  recordsInByPartition: Record<string, number>;
  recordsOut: number;
  dlq: DlqCount[];
  /** Per input partition, summed over topics. */
  backlog: Record<string, number>;
  eventTimeLagSeconds: Record<string, number>;
  watermarkSeconds: Record<string, number>;
  openWindows: Record<string, number>;
  alerts: Record<string, number>;
  ownedPartitions?: number;
  suspended?: boolean;
  /** Only when the instance exports checkpoint metrics (the checkpointer). */
  checkpoint?: CheckpointFacts;
}

export function instanceMetrics(samples: readonly Sample[]): InstanceMetrics {
  const m: InstanceMetrics = {
    recordsIn: 0,
    recordsInByPartition: {},
    recordsOut: 0,
    dlq: [],
    backlog: {},
    eventTimeLagSeconds: {},
    watermarkSeconds: {},
    openWindows: {},
    alerts: {},
  };
  const checkpoint: CheckpointFacts = { epochs: {} };
  let hasCheckpoint = false;
  const add = (into: Record<string, number>, key: string, v: number) => {
    into[key] = (into[key] ?? 0) + v;
  };
  for (const { name, labels, value } of samples) {
    if (!Number.isFinite(value)) continue;
    const partition = labels.partition ?? '0';
    switch (name) {
      case METRIC.recordsIn:
        m.recordsIn += value;
        add(m.recordsInByPartition, partition, value);
        break;
      case METRIC.recordsOut:
        m.recordsOut += value;
        break;
      case METRIC.dlq:
        m.dlq.push({ stage: labels.stage ?? '', reason: labels.reason ?? '', total: value });
        break;
      case METRIC.backlog:
        add(m.backlog, partition, value);
        break;
      case METRIC.eventTimeLag:
        m.eventTimeLagSeconds[partition] = value;
        break;
      case METRIC.watermark:
        m.watermarkSeconds[partition] = value;
        break;
      case METRIC.openWindows:
        m.openWindows[partition] = value;
        break;
      case METRIC.alerts:
        add(m.alerts, labels.kind ?? '', value);
        break;
      case METRIC.ownedPartitions:
        m.ownedPartitions = (m.ownedPartitions ?? 0) + value;
        break;
      case METRIC.suspended:
        m.suspended = value === 1;
        break;
      case METRIC.lastEpoch:
        hasCheckpoint = true;
        checkpoint.lastEpoch = value;
        break;
      case METRIC.lastEpochAt:
        hasCheckpoint = true;
        checkpoint.lastCompleteAt = value;
        break;
      case METRIC.lastEpochBytes:
        hasCheckpoint = true;
        checkpoint.lastBytes = value;
        break;
      case METRIC.epochs:
        hasCheckpoint = true;
        add(checkpoint.epochs, labels.result ?? '', value);
        break;
    }
  }
  if (hasCheckpoint) m.checkpoint = checkpoint;
  return m;
}
