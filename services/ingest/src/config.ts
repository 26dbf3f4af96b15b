// ingest's environment (docs/architecture.md, "Services and topics"): reads raw readings, writes records and the DLQ,
// keeps positions and watermarks in Redis, snapshots to S3 on NATS checkpoint triggers.
import { duration, oneOf, serviceSpec, topics } from '@iot/config';
import { partitionedStageSpec } from '@iot/stage';

export const spec = {
  ...serviceSpec(9464),
  ...partitionedStageSpec('iot-ingest'),
  PULSAR_TOPIC: topics.PULSAR_TOPIC,
  RECORDS_TOPIC: topics.RECORDS_TOPIC,
  DLQ_TOPIC: topics.DLQ_TOPIC,
  // event: the reading's own timestamp; ingest: stamped on arrival (the seed's behaviour).
  TIME_MODE: oneOf(['event', 'ingest'] as const).default('event'),
  // The watermark trails the newest event time by this much; older records are late (→ DLQ).
  MAX_OUT_OF_ORDERNESS: duration({ max: '1h' }).default('5s'),
  // Event times further ahead of this stage's clock are refused (DLQ reason `future`), so no
  // device with a wrong clock can move a watermark past the present.
  MAX_FUTURE_SKEW: duration({ max: '24h' }).default('10m'),
  // Caught up with a source partition (connected, nothing pending) this long, ingest tells the
  // aggregator the partition is idle, so it stops holding windows open. A stalled or cut-off
  // ingest says nothing, and the windows wait (docs/architecture.md, "Time and watermarks").
  WATERMARK_IDLE_TIMEOUT: duration({ min: '1s' }).default('30s'),
};
