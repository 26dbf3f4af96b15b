export {
  DEFAULT_PARAMS,
  LOAD_PROFILES,
  generateStream,
  messageCount,
  partitionFor,
  resolveParams,
  summarizeStream,
  type GeneratedMessage,
  type GeneratorParams,
  type GeneratorShares,
  type LoadProfile,
  type MessageKind,
  type StreamSummary,
} from './generator.ts';
export { mulberry32, randInt, round2, type Rng } from './prng.ts';
export { eventTimeBounds } from './generator.ts';
export {
  GENERATOR_FLAGS,
  UsageError,
  alignToMinute,
  checkParams,
  durationMs,
  fraction,
  generatorOptions,
  intValue,
  paramsFromJson,
  parseFlags,
  pick,
  positiveNumber,
  spanForMessages,
  startMs,
  errorText,
  runCommand,
  SetupError,
  type Env,
  type FlagValues,
  type GeneratorFlag,
  type GeneratorOptions,
} from './options.ts';
export { InFlight, TokenBucket } from './pacer.ts';
export { achievedRate, formatProgress, type Progress } from './progress.ts';
export {
  publishStream,
  type PublishOptions,
  type PublishResult,
  type PublishState,
  type Sender,
} from './publish.ts';
