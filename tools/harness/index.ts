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
  type PipelineNames,
} from './pipeline.ts';
