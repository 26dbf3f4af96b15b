// aggregator's environment (docs/architecture.md, "Services and topics"): reads records, keeps 1-minute windows in Redis,
// closes them on the watermark, writes aggregates and alerts, snapshots to S3 on NATS triggers.
import { duration, num, serviceSpec, topics } from '@iot/config';
import { partitionedStageSpec } from '@iot/stage';

export const spec = {
  ...serviceSpec(9465),
  ...partitionedStageSpec('iot-aggregator'),
  // Its partition count is the number of upstream watermarks a window waits for.
  PULSAR_TOPIC: topics.PULSAR_TOPIC,
  RECORDS_TOPIC: topics.RECORDS_TOPIC,
  AGGREGATES_TOPIC: topics.AGGREGATES_TOPIC,
  ALERTS_TOPIC: topics.ALERTS_TOPIC,
  DLQ_TOPIC: topics.DLQ_TOPIC,
  WINDOW_SIZE: duration({ min: '1s', max: '1h' }).default('1m'),
  // The seed's alert thresholds.
  ALERT_TEMPERATURE_HIGH: num().default('35'),
  ALERT_HUMIDITY_HIGH: num({ min: 0, max: 100 }).default('80'),
  ALERT_BATTERY_LOW: num({ min: 0, max: 100 }).default('20'),
};
