// The messages that cross the intermediate topics (docs/architecture.md, "Envelopes"), as
// Pulsar payload + properties. Ingest → aggregator on iot-sensor-records: one records
// envelope per ingest micro-batch and records partition. Aggregator → writer: one alerts
// envelope and one aggregates envelope per aggregator micro-batch. Each message names its
// kind in one property; the payload's first byte is the format version.
import type { AggregateRow, Alert } from '@iot/windows';
import { ChannelFormatError } from './errors.ts';
import {
  decodeAggregatesEnvelope,
  decodeAlertsEnvelope,
  encodeAggregatesEnvelope,
  encodeAlertsEnvelope,
} from './outputs-envelope.ts';
import { decodeRecordsEnvelope, type RecordsEnvelope } from './records-envelope.ts';

/** What a stage hands to a Pulsar producer. */
export interface OutgoingMessage {
  payload: Buffer;
  key?: string;
  properties: Record<string, string>;
  eventTime?: number;
}

/** What a stage reads back from a consumed Pulsar message. */
export interface IncomingMessage {
  payload: Uint8Array;
  properties: Readonly<Record<string, string>>;
  /** When its producer published it (ms); the writer's aggregates: when the windows closed. */
  publishTime?: number;
}

export const PROP = {
  kind: 'iot-kind',
  originPartition: 'iot-origin-partition',
  originPosition: 'iot-origin-position',
  ownerEpoch: 'iot-owner-epoch',
  reason: 'iot-reason',
  detail: 'iot-detail',
} as const;

/** The iot-kind of each envelope. */
export const KIND = { records: 'records', aggregates: 'aggregates', alerts: 'alerts' } as const;

/** A records envelope as a message for one records partition. */
export function recordsMessage(payload: Buffer): OutgoingMessage {
  return { payload, properties: { [PROP.kind]: KIND.records } };
}

/** Reads a message of iot-sensor-records; throws ChannelFormatError when it is not ours. */
export function decodeChannelMessage(msg: IncomingMessage): RecordsEnvelope {
  const kind = msg.properties[PROP.kind];
  if (kind !== KIND.records) {
    throw new ChannelFormatError(
      kind === 'record' || kind === 'watermark'
        ? `a per-message ${kind} from an ingest older than the envelope format: upgrade every stage together, from one savepoint`
        : `unknown ${PROP.kind} ${JSON.stringify(kind)} on the records topic`,
    );
  }
  return decodeRecordsEnvelope(msg.payload);
}

export function encodeAggregatesMessage(rows: readonly AggregateRow[]): OutgoingMessage {
  return { payload: encodeAggregatesEnvelope(rows), properties: { [PROP.kind]: KIND.aggregates } };
}

export function encodeAlertsMessage(alerts: readonly Alert[]): OutgoingMessage {
  return { payload: encodeAlertsEnvelope(alerts), properties: { [PROP.kind]: KIND.alerts } };
}

export type OutputEnvelope =
  { kind: 'aggregates'; rows: AggregateRow[] } | { kind: 'alerts'; alerts: Alert[] };

/** Reads an aggregates or alerts envelope; throws ChannelFormatError on anything else. */
export function decodeOutputMessage(msg: IncomingMessage): OutputEnvelope {
  const kind = msg.properties[PROP.kind];
  if (kind === KIND.aggregates) return { kind, rows: decodeAggregatesEnvelope(msg.payload) };
  if (kind === KIND.alerts) return { kind, alerts: decodeAlertsEnvelope(msg.payload) };
  throw new ChannelFormatError(
    kind === 'aggregate' || kind === 'alert'
      ? `a per-message ${kind} from an aggregator older than the envelope format: upgrade every stage together, from one savepoint`
      : `unknown ${PROP.kind} ${JSON.stringify(kind)} on an output topic`,
  );
}
