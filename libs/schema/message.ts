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

/**
 * True when the payload's first byte after an optional UTF-8 BOM and JSON whitespace is '{'.
 * A BOM or a newline before a legacy JSON reading must not make it undecodable.
 */
function looksLikeJson(payload: Uint8Array): boolean {
  const n = payload.byteLength;
  let i = n >= 3 && payload[0] === 0xef && payload[1] === 0xbb && payload[2] === 0xbf ? 3 : 0;
  // JSON whitespace: space, tab, LF, CR. Bounded: legacy JSON is at most 64 KiB.
  while (i < n && i < 1024) {
    const c = payload[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    i++;
  }
  return i < n && payload[i] === OPEN_BRACE;
}

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
 * Decode AVRO or legacy JSON. Format detection: a payload whose first byte after an optional
 * BOM and whitespace is '{' is read as JSON; if it is not JSON at all, AVRO is tried before
 * giving up, since AVRO can start that way too (a '{' first byte is sensorId -62, a space
 * sensorId 16). Never throws.
 */
export function decodeSensorMessage(msg: SensorMessage): Result<SensorRecord> {
  const fallback = fallbackTime(msg);
  if (msg.format === 'avro') return fromAvro(msg, fallback);
  if (msg.format === 'json') return decodeLegacyJson(msg.payload, fallback);
  if (looksLikeJson(msg.payload)) {
    const json = decodeLegacyJson(msg.payload, fallback);
    if (json.ok || json.reason !== 'undecodable') return json;
    const avro = fromAvro(msg, fallback);
    return avro.ok || avro.reason !== 'undecodable' ? avro : json;
  }
  return fromAvro(msg, fallback);
}
