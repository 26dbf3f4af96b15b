export {
  DEFAULT_PARAMS,
  generateStream,
  messageCount,
  partitionFor,
  resolveParams,
  summarizeStream,
  type GeneratedMessage,
  type GeneratorParams,
  type GeneratorShares,
  type MessageKind,
  type StreamSummary,
} from './generator.ts';
export { mulberry32, randInt, round2, type Rng } from './prng.ts';
