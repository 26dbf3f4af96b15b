// The messages that cross the intermediate topics (DESIGN.md §1), as Pulsar payload + key +
// properties. Ingest → aggregator on iot-sensor-records: records and watermark markers, each
// stamped with its origin. Aggregator → writer: aggregate rows and alerts as JSON.
import { decodeRecord, encodeRecord, type SensorRecord } from '@iot/schema';
import type { AggregateRow, Alert } from '@iot/windows';
import type { Origin } from './origin.ts';

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
}

export const PROP = {
  kind: 'iot-kind',
  originPartition: 'iot-origin-partition',
  originPosition: 'iot-origin-position',
  ownerEpoch: 'iot-owner-epoch',
  watermark: 'iot-watermark',
  reason: 'iot-reason',
  detail: 'iot-detail',
} as const;

export type ChannelMessage =
  | { kind: 'record'; record: SensorRecord; origin: Origin }
  | { kind: 'watermark'; watermark: number; origin: Origin };

/** Thrown for a message on an intermediate topic that this build cannot read. */
export class ChannelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelFormatError';
  }
}

function originProps(origin: Origin): Record<string, string> {
  return {
    [PROP.originPartition]: String(origin.partition),
    [PROP.originPosition]: origin.position,
    [PROP.ownerEpoch]: String(origin.epoch),
  };
}

export function encodeRecordMessage(record: SensorRecord, origin: Origin): OutgoingMessage {
  return {
    payload: encodeRecord(record),
    key: record.device_id,
    properties: { [PROP.kind]: 'record', ...originProps(origin) },
    eventTime: record.event_time,
  };
}

export function encodeWatermarkMessage(watermark: number, origin: Origin): OutgoingMessage {
  return {
    payload: Buffer.alloc(0),
    properties: {
      [PROP.kind]: 'watermark',
      [PROP.watermark]: String(watermark),
      ...originProps(origin),
    },
  };
}

function intProp(props: Readonly<Record<string, string>>, name: string): number {
  const raw = props[name];
  const n = raw === undefined ? NaN : Number(raw);
  if (!Number.isSafeInteger(n)) {
    throw new ChannelFormatError(`property ${name} must be an integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function originOf(props: Readonly<Record<string, string>>): Origin {
  const position = props[PROP.originPosition];
  if (position === undefined || position === '') {
    throw new ChannelFormatError(`property ${PROP.originPosition} is missing`);
  }
  return {
    partition: intProp(props, PROP.originPartition),
    position,
    epoch: intProp(props, PROP.ownerEpoch),
  };
}

/** Reads a message of iot-sensor-records; throws ChannelFormatError when it is not ours. */
export function decodeChannelMessage(msg: IncomingMessage): ChannelMessage {
  const kind = msg.properties[PROP.kind];
  const origin = originOf(msg.properties);
  if (kind === 'watermark') {
    return { kind, watermark: intProp(msg.properties, PROP.watermark), origin };
  }
  if (kind === 'record') {
    const decoded = decodeRecord(msg.payload);
    if (!decoded.ok) throw new ChannelFormatError(`${decoded.reason}: ${decoded.detail}`);
    return { kind, record: decoded.value, origin };
  }
  throw new ChannelFormatError(`unknown ${PROP.kind} ${JSON.stringify(kind)}`);
}

export function encodeAggregateMessage(row: AggregateRow): OutgoingMessage {
  return {
    payload: Buffer.from(JSON.stringify(row)),
    key: row.device_id,
    properties: { [PROP.kind]: 'aggregate' },
    eventTime: row.window_start,
  };
}

export function encodeAlertMessage(alert: Alert): OutgoingMessage {
  return {
    payload: Buffer.from(JSON.stringify(alert)),
    key: alert.device_id,
    properties: { [PROP.kind]: 'alert' },
    eventTime: alert.event_time,
  };
}

/** Reads an aggregate row or alert (JSON); throws ChannelFormatError on anything else. */
export function decodeOutputMessage(
  msg: IncomingMessage,
): { kind: 'aggregate'; row: AggregateRow } | { kind: 'alert'; alert: Alert } {
  const kind = msg.properties[PROP.kind];
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(msg.payload).toString('utf8'));
  } catch (err) {
    throw new ChannelFormatError(`${kind ?? 'output'} message is not JSON: ${String(err)}`);
  }
  if (typeof value !== 'object' || value === null || !('device_id' in value)) {
    throw new ChannelFormatError(`${kind ?? 'output'} message has no device_id`);
  }
  if (kind === 'aggregate') return { kind, row: value as AggregateRow };
  if (kind === 'alert') return { kind, alert: value as Alert };
  throw new ChannelFormatError(`unknown ${PROP.kind} ${JSON.stringify(kind)}`);
}
