/**
 * One Pulsar message on iot-sensor-data → a validated SensorRecord or a rejection.
 * This is everything the ingest stage decides about a message's content.
 */
import { decodeSensorData } from './avro.ts';
import { decodeLegacyJson } from './legacy-json.ts';
import { mapSensorData } from './mapping.ts';
import type { SensorRecord } from './record.ts';
import type { Result } from './result.ts';
import { validateRecord } from './validate.ts';

export interface SensorMessage {
  payload: Uint8Array;
  /** Pulsar event_time in ms; absent or 0 when the producer did not set one. */
  eventTime?: number | null;
  /** Pulsar publish_time in ms (always set by the broker). */
  publishTime: number;
  /** Writer schema from the schema registry, when the topic has one. */
  writerSchema?: string | object;
  /** Force a format; by default a payload starting with '{' is tried as JSON first. */
  format?: 'avro' | 'json';
}

const OPEN_BRACE = 0x7b;

/** Event time to use when the payload carries none: event_time if set, else publish_time. */
export function fallbackTime(msg: Pick<SensorMessage, 'eventTime' | 'publishTime'>): number {
  return msg.eventTime !== undefined && msg.eventTime !== null && msg.eventTime > 0
    ? msg.eventTime
    : msg.publishTime;
}

function fromAvro(msg: SensorMessage, fallback: number): Result<SensorRecord> {
  const decoded = decodeSensorData(msg.payload, msg.writerSchema);
  if (!decoded.ok) return decoded;
  return validateRecord(mapSensorData(decoded.value, fallback));
}

/**
 * Decode AVRO or legacy JSON. Format detection: '{' can only start a SensorData AVRO record
 * whose sensorId is -62, so a '{' payload is read as JSON; if it is not JSON at all, AVRO is
 * tried before giving up. Never throws.
 */
export function decodeSensorMessage(msg: SensorMessage): Result<SensorRecord> {
  const fallback = fallbackTime(msg);
  if (msg.format === 'avro') return fromAvro(msg, fallback);
  if (msg.format === 'json') return decodeLegacyJson(msg.payload, fallback);
  if (msg.payload.byteLength > 0 && msg.payload[0] === OPEN_BRACE) {
    const json = decodeLegacyJson(msg.payload, fallback);
    if (json.ok || json.reason !== 'undecodable') return json;
    const avro = fromAvro(msg, fallback);
    return avro.ok || avro.reason !== 'undecodable' ? avro : json;
  }
  return fromAvro(msg, fallback);
}
