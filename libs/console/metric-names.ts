// The Prometheus metric names the console and `iotctl status` read from the services' /metrics.
// One place on purpose: a rename in a service is a one-line change here.
export const METRIC = {
  /** counter {stage, partition}: input messages a stage consumed. */
  recordsIn: 'iot_records_in_total',
  /** counter {stage}: records, rows or envelopes a stage produced. */
  recordsOut: 'iot_records_out_total',
  /** counter {stage, reason}: messages sent to the DLQ. */
  dlq: 'iot_dlq_total',
  /** gauge {stage, topic, partition}: the subscription's unacknowledged messages. */
  backlog: 'iot_consumer_backlog_messages',
  /** gauge {stage, partition}: now − watermark. */
  eventTimeLag: 'iot_event_time_lag_seconds',
  /** gauge {stage, partition}: the watermark, seconds since the epoch. */
  watermark: 'iot_watermark_seconds',
  /** gauge {partition}: windows the aggregator holds open. */
  openWindows: 'iot_open_windows',
  /** gauge: number of the last complete checkpoint epoch (checkpointer). */
  lastEpoch: 'iot_checkpoint_last_complete_epoch',
  /** gauge: when that epoch completed, seconds since the epoch. */
  lastEpochAt: 'iot_checkpoint_last_complete_timestamp_seconds',
  /** gauge: stored size of that epoch. */
  lastEpochBytes: 'iot_checkpoint_last_epoch_bytes',
  /** counter {result}: epochs ended (complete, abandoned). */
  epochs: 'iot_checkpoint_epochs_total',
  /** gauge {stage}: partitions this instance owns. */
  ownedPartitions: 'iot_owned_partitions',
  /** counter {kind}: alerts the aggregator emitted. */
  alerts: 'iot_alerts_total',
  /** gauge: 1 while an operator has the instance suspended. */
  suspended: 'iot_pipeline_suspended',
} as const;
