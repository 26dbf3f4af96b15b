export {
  ConfigError,
  Field,
  InvalidValue,
  bool,
  clickhouseUrl,
  custom,
  deploymentVariables,
  describeConfig,
  duration,
  int,
  loadConfig,
  num,
  oneOf,
  str,
  topic,
  url,
  type ConfigIssue,
  type ConfigOf,
  type Env,
  type FieldInfo,
  type Spec,
} from './spec.ts';
export { loadConfigOrExit, type ConfigErrorLog } from './load-or-exit.ts';
export { formatDuration, parseDuration } from './duration.ts';
export { normalizeClickHouseUrl } from './clickhouse-url.ts';
export {
  LOG_LEVELS,
  clickhouseSpec,
  controlPlaneSpec,
  envelopeSpec,
  natsSpec,
  pulsarCredentials,
  pulsarSpec,
  redisSpec,
  s3Spec,
  serviceSpec,
  topics,
} from './common.ts';
