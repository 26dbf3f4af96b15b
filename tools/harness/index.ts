export { iotctlOk, runIotctl, runTool, type CliResult, type Tool } from './cli.ts';
export {
  PipelineRun,
  localServers,
  type PipelineRunOptions,
  type RunServers,
} from './pipeline-run.ts';
export { ServiceProcess, type ServiceName } from './service-process.ts';
export { registerScrapeTarget, scrapeTargetsDir, type TargetLabels } from './scrape-targets.ts';
export {
  clientAuth,
  credentialEnv,
  stackCredentials,
  stackDirOf,
  type Credentials,
  type StackCredentials,
} from './credentials.ts';
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
export { OUT_OF_ORDERNESS_MS, WINDOW_MS, usageFailure } from './defaults.ts';
