export {
  comparePositions,
  judgeOrigin,
  type ChannelProgress,
  type Origin,
  type OriginVerdict,
} from './origin.ts';
export { ChannelFormatError, ChannelGapError } from './errors.ts';
export {
  KIND,
  PROP,
  decodeChannelMessage,
  decodeOutputMessage,
  encodeAggregatesMessage,
  encodeAlertsMessage,
  recordsMessage,
  type IncomingMessage,
  type OutgoingMessage,
  type OutputEnvelope,
} from './messages.ts';
export {
  RECORDS_ENVELOPE_V2,
  RecordsEnvelopeBuilder,
  decodeRecordsEnvelope,
  type EnvelopeOrigin,
  type RecordsEnvelope,
} from './records-envelope.ts';
export {
  AGGREGATES_ENVELOPE_V1,
  ALERTS_ENVELOPE_V2,
  decodeAggregatesEnvelope,
  decodeAlertsEnvelope,
  encodeAggregatesEnvelope,
  encodeAlertsEnvelope,
} from './outputs-envelope.ts';
export { batchSource, publishAll, type BatchSource, type ReceivedBatch } from './pulsar-io.ts';
