export {
  LEVELS,
  Logger,
  type LogFields,
  type LogLevel,
  type LogStream,
  type LoggerOptions,
} from './logger.ts';
export {
  Counter,
  DEFAULT_BUCKETS,
  Gauge,
  Histogram,
  MetricsRegistry,
  PROMETHEUS_CONTENT_TYPE,
  registerProcessMetrics,
  type Labels,
  type MetricOptions,
} from './metrics.ts';
export {
  Health,
  judgeHealth,
  type HealthInput,
  type HealthOptions,
  type HealthVerdict,
  type LoopProgress,
} from './health.ts';
export { Readiness, type CheckResult, type ReadinessReport } from './readiness.ts';
export {
  startOpsServer,
  type OpsHandler,
  type OpsServer,
  type OpsServerOptions,
} from './ops-server.ts';
export { advertisedHost, opsUrl } from './advertised-address.ts';
export { Shutdown, type ShutdownOptions, type SignalSource } from './shutdown.ts';
export {
  DEFAULT_ZIPKIN_ENDPOINT,
  samplerFor,
  setupTracing,
  type TracesExporterName,
  type TracesSamplerName,
  type Tracing,
  type TracingOptions,
} from './tracing.ts';
export {
  BatchTrace,
  TRACEPARENT,
  isSampledTraceparent,
  tracedSource,
  tracedStep,
  type BatchSourceLike,
  type BatchTraceOptions,
} from './batch-trace.ts';
export { extractTraceContext, injectTraceContext } from './trace-context.ts';
export { startService, type ServiceOptions, type ServiceRuntime } from './service.ts';
export { whenReachable, type Dependency, type WaitContext } from './when-reachable.ts';
