export { METRIC } from './metric-names.ts';
export { parsePrometheusText, MetricsFormatError, type Sample } from './prometheus-text.ts';
export { instanceMetrics, type InstanceMetrics } from './instance-metrics.ts';
export {
  buildSnapshot,
  memberKey,
  pipelineState,
  type Member,
  type PipelineSnapshot,
  type PipelineState,
  type StageView,
} from './snapshot.ts';
export { History, seriesOf, type HistoryJson } from './history.ts';
export { ConsoleCollector, type CollectorOptions, type ConsoleState } from './collector.ts';
export { consoleRoutes } from './console-routes.ts';
export { statusText } from './status-text.ts';
