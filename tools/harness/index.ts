export { iotctlOk, runIotctl, type CliResult } from './iotctl.ts';
export {
  PipelineRun,
  localServers,
  type PipelineRunOptions,
  type RunServers,
} from './pipeline-run.ts';
export { ServiceProcess, type ServiceName } from './service-process.ts';
export { registerScrapeTarget, scrapeTargetsDir, type TargetLabels } from './scrape-targets.ts';
export {
  ClickHouseSink,
  clickhouse,
  createPipelineTopics,
  dlqByReason,
  produceStream,
  uniqueName,
  verifyRows,
  waitForRows,
  pipelineEnv,
  type PipelineNames,
  type ServerUrls,
  type StreamProducerOptions,
} from './pipeline.ts';
