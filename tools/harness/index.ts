export { ServiceProcess, type ServiceName } from './service-process.ts';
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
} from './pipeline.ts';
