export {
  DEFAULT_WINDOW_SIZE_MS,
  closedWindows,
  isWindowClosed,
  windowEnd,
  windowStart,
} from './window.ts';
export { addExact, mergeExact, sumOf } from './exact-sum.ts';
export {
  DEFAULT_ALERT_RULES,
  alertsFor,
  windowAlertsFor,
  type Alert,
  type AlertKind,
  type AlertRules,
  type AlertSource,
} from './alerts.ts';
export {
  AGGREGATE_COLUMNS,
  COUNTERS,
  METADATA,
  METRICS,
  accumulatorFor,
  addRecord,
  emptyAccumulator,
  finalizeWindow,
  mergeAccumulators,
  type AggregateRow,
  type CounterName,
  type DeviceMetadata,
  type MetricName,
  type MetricState,
  type WindowAccumulator,
} from './accumulator.ts';
export { deserializeAccumulator, serializeAccumulator } from './accumulator-codec.ts';
export { WatermarkTracker, type WatermarkOptions, type WatermarkSnapshot } from './watermark.ts';
