// writer's environment (docs/architecture.md, "Services and topics"): reads aggregates and alerts, inserts them into
// ClickHouse in batches (5,000 rows or 1 s, as the seed), acks only after ClickHouse confirmed.
import {
  clickhouseSpec,
  controlPlaneSpec,
  duration,
  int,
  natsSpec,
  pulsarSpec,
  serviceSpec,
  str,
  topics,
} from '@iot/config';

export const spec = {
  ...serviceSpec(9466),
  ...pulsarSpec,
  AGGREGATES_TOPIC: topics.AGGREGATES_TOPIC,
  ALERTS_TOPIC: topics.ALERTS_TOPIC,
  // Messages on those topics that are not an aggregate row or alert go here with a reason.
  DLQ_TOPIC: topics.DLQ_TOPIC,
  PULSAR_SUBSCRIPTION: str({ example: 'iot-writer' }).default('iot-writer'),
  ...clickhouseSpec,
  WRITER_BATCH_ROWS: int({ min: 1, max: 1_000_000 }).default('5000'),
  WRITER_FLUSH_INTERVAL: duration({ min: '10ms', max: '1m' }).default('1s'),
  // A batch with rows is also written once its topic has been quiet this long (0ms: never),
  // so a window's rows, which arrive as one burst, do not wait out the flush interval.
  WRITER_FLUSH_IDLE: duration({ max: '1m' }).default('100ms'),
  // Only to announce this instance on the control plane (heartbeats) for the operations
  // console; the writer writes on without NATS.
  ...natsSpec,
  CONTROL_SUBJECT_PREFIX: controlPlaneSpec.CONTROL_SUBJECT_PREFIX,
};
