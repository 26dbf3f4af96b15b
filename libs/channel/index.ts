export {
  advance,
  comparePositions,
  judgeOrigin,
  type ChannelProgress,
  type Origin,
  type OriginVerdict,
} from './origin.ts';
export {
  ChannelFormatError,
  PROP,
  decodeChannelMessage,
  decodeOutputMessage,
  encodeAggregateMessage,
  encodeAlertMessage,
  encodeRecordMessage,
  encodeWatermarkMessage,
  type ChannelMessage,
  type IncomingMessage,
  type OutgoingMessage,
} from './messages.ts';
export { batchSource, publishAll, type ReceivedBatch } from './pulsar-io.ts';
