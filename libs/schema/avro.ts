/**
 * SensorData AVRO: the devices' wire format. Decoding never throws; bad bytes or an
 * incompatible writer schema come back as an 'undecodable' rejection.
 */
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { avroBoundsProblem, hasContainers } from './avro-bounds.ts';
import { accept, reject, type Result } from './result.ts';

type AvroType = InstanceType<typeof avsc.Type>;
type AvroSchema = Parameters<typeof avsc.Type.forSchema>[0];
type AvroResolver = ReturnType<AvroType['createResolver']>;

/** A SensorData reading as devices send it. */
export interface SensorData {
  sensorId: number;
  sensorType: number;
  /** Epoch ms; null when the writer's schema has no `timestamp` field. */
  timestamp: number | null;
  temperature: number;
  humidity: number;
  pressure: number;
  batteryLevel: number;
  status: number;
}

function loadSchema(file: string): AvroSchema {
  const text = readFileSync(new URL(`./avro/${file}`, import.meta.url), 'utf8');
  return JSON.parse(text) as AvroSchema;
}

/** The shipped schema, libs/schema/avro/SensorData.avsc (parsed JSON). */
export const SENSOR_DATA_SCHEMA: AvroSchema = loadSchema('SensorData.avsc');
export const sensorDataType: AvroType = avsc.Type.forSchema(SENSOR_DATA_SCHEMA);

/**
 * Reader used when a writer schema is given: like SensorData but `timestamp` may be absent
 * (null). Resolution then accepts writers that lack it, reorder fields or add fields.
 */
const readerType: AvroType = avsc.Type.forSchema({
  type: 'record',
  name: 'SensorData',
  namespace: 'com.iot.pipeline',
  fields: [
    { name: 'sensorId', type: 'int' },
    { name: 'sensorType', type: 'int' },
    { name: 'timestamp', type: ['null', 'long'], default: null },
    { name: 'temperature', type: 'double' },
    { name: 'humidity', type: 'double' },
    { name: 'pressure', type: 'double' },
    { name: 'batteryLevel', type: 'double' },
    { name: 'status', type: 'int' },
  ],
});

/**
 * How to read bytes of one writer schema: avsc's resolver into the reader, and the writer
 * type when it has arrays or maps, whose counts are checked before avsc reads them
 * (avro-bounds.ts).
 */
interface WriterReading {
  resolver: AvroResolver;
  boundsCheck: AvroType | undefined;
}

/** Per writer schema text; bounded because writer schemas come from the outside. */
const resolvers = new Map<string, WriterReading | Error>();
const MAX_RESOLVERS = 64;

function resolverFor(writerSchema: string | object): WriterReading | Error {
  const key = typeof writerSchema === 'string' ? writerSchema : JSON.stringify(writerSchema);
  const cached = resolvers.get(key);
  if (cached !== undefined) return cached;
  let made: WriterReading | Error;
  try {
    const parsed: unknown =
      typeof writerSchema === 'string' ? JSON.parse(writerSchema) : writerSchema;
    const writer = avsc.Type.forSchema(parsed as AvroSchema);
    made = {
      resolver: readerType.createResolver(writer),
      boundsCheck: hasContainers(writer) ? writer : undefined,
    };
  } catch (err) {
    made = err instanceof Error ? err : new Error(String(err));
  }
  if (resolvers.size >= MAX_RESOLVERS) resolvers.clear();
  resolvers.set(key, made);
  return made;
}

/**
 * avsc reads an AVRO `int` as a varint of any size (2^40 comes back as 2^40); the spec says
 * 32 bits. Such bytes are not a valid SensorData, whatever they decode to.
 */
function outOfRangeInt(d: SensorData): string | undefined {
  for (const field of ['sensorId', 'sensorType', 'status'] as const) {
    if ((d[field] | 0) !== d[field]) return `${field} = ${d[field]} is not a 32-bit AVRO int`;
  }
  return undefined;
}

function checked(d: SensorData, size: number): Result<SensorData> {
  const problem = outOfRangeInt(d);
  if (problem === undefined) return accept(d);
  return reject('undecodable', `not a SensorData AVRO record (${size} bytes): ${problem}`);
}

function toSensorData(value: unknown): SensorData {
  // avsc has validated every field against the (reader) schema, so the shape is known.
  const v = value as Omit<SensorData, 'timestamp'> & { timestamp?: number | null };
  return {
    sensorId: v.sensorId,
    sensorType: v.sensorType,
    timestamp: v.timestamp ?? null,
    temperature: v.temperature,
    humidity: v.humidity,
    pressure: v.pressure,
    batteryLevel: v.batteryLevel,
    status: v.status,
  };
}

/**
 * Decode one SensorData message. Without `writerSchema` the bytes must be written with the
 * shipped schema. With it (JSON text or object, e.g. from the Pulsar schema registry), AVRO
 * schema resolution applies; a writer without `timestamp` yields `timestamp: null` and the
 * caller supplies the event time (message event_time, else publish_time).
 */
export function decodeSensorData(
  buf: Uint8Array,
  writerSchema?: string | object,
): Result<SensorData> {
  const bytes = Buffer.isBuffer(buf)
    ? buf
    : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  try {
    if (writerSchema === undefined) {
      return checked(toSensorData(sensorDataType.fromBuffer(bytes)), bytes.length);
    }
    const reading = resolverFor(writerSchema);
    if (reading instanceof Error) {
      return reject(
        'undecodable',
        `writer schema cannot be read as SensorData: ${reading.message}`,
      );
    }
    const problem = reading.boundsCheck && avroBoundsProblem(reading.boundsCheck, bytes);
    if (problem) {
      return reject(
        'undecodable',
        `not a SensorData AVRO record (${bytes.length} bytes): ${problem}`,
      );
    }
    return checked(toSensorData(readerType.fromBuffer(bytes, reading.resolver)), bytes.length);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return reject('undecodable', `not a SensorData AVRO record (${bytes.length} bytes): ${why}`);
  }
}

/** Encode a reading with the shipped schema (devices, loadgen, tests). Throws on a bad value. */
export function encodeSensorData(data: SensorData): Buffer {
  if (data.timestamp === null) {
    throw new Error(
      'encodeSensorData: timestamp is required by SensorData.avsc; use a writer schema without it instead',
    );
  }
  return sensorDataType.toBuffer(data);
}
