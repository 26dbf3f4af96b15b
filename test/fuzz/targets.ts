// The fuzz targets: every decoder that reads bytes someone else wrote. Each target's check
// holds the invariant of issue #11: the decoder returns, or throws its own typed decode
// error (nothing else: no TypeError, RangeError, stack overflow), and never asks for a
// buffer larger than the bound it is given. Termination is what running them proves.
// The short run (decoders.test.ts) and the long run (bench/fuzz.ts) share this list.
import { gzipSync } from 'node:zlib';
import avsc from 'avsc';
import fc from 'fast-check';
import {
  ChannelFormatError,
  decodeAggregatesEnvelope,
  decodeAlertsEnvelope,
  decodeRecordsEnvelope,
  encodeAggregatesEnvelope,
  encodeAlertsEnvelope,
  RecordsEnvelopeBuilder,
} from '@iot/channel';
import { WRITER_WITHOUT_TIMESTAMP } from '@iot/schema/test-support';
import {
  decodeSnapshot,
  encodeSnapshot,
  ManifestFormatError,
  parseManifest,
  SnapshotFormatError,
} from '@iot/checkpoint-storage';
import { MessageId, ProtocolError } from '@iot/pulsar';
import {
  decodeLegacyJson,
  decodeRecord,
  decodeSensorData,
  decodeSensorMessage,
  encodeRecord,
  encodeSensorData,
  mapSensorData,
  type Result,
  type SensorData,
} from '@iot/schema';
import { DEFAULT_ALERT_RULES, type AggregateRow, type Alert } from '@iot/windows';
import { WindowOperator } from '../../services/aggregator/src/window-operator.ts';
import { CompressionError, compress, decompress } from '../../libs/pulsar/compression/index.ts';
import { decodeBatch, encodeBatch } from '../../libs/pulsar/protocol/batch.ts';
import { CommandType, CompressionType } from '../../libs/pulsar/protocol/commands.ts';
import {
  decodeFrame,
  encodePayloadCommand,
  FrameDecoder,
} from '../../libs/pulsar/protocol/frame.ts';
import { bytesFor, mutated } from './mutate.ts';

/** The decompressors' limit in the fuzz run (the client's maxMessageSize stands in). */
export const FUZZ_MAX_MESSAGE_SIZE = 1 << 20;

export interface FuzzTarget {
  name: string;
  inputs: fc.Arbitrary<unknown>;
  /** Largest buffer the decoder may ask for, given the input. */
  allocationBound(input: unknown): number;
  /** Decodes; throws only when the invariant is broken. */
  check(input: unknown): void;
}

/** The invariant was broken: what the decoder did, on which input. */
export class InvariantViolation extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'InvariantViolation';
  }
}

type AvroSchema = Parameters<typeof avsc.Type.forSchema>[0];

type ErrorClass = abstract new (...args: never[]) => Error;

/** Runs `decode`; an error of another class than `allowed` breaks the invariant. */
function expectTyped(allowed: ErrorClass, decode: () => void): void {
  try {
    decode();
  } catch (err) {
    if (err instanceof allowed) return;
    if (err instanceof InvariantViolation) throw err;
    throw new InvariantViolation(
      `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}, expected ${allowed.name} or a result`,
      { cause: err },
    );
  }
}

/** A Result-returning decoder must never throw at all. */
function expectResult(decode: () => Result<unknown>): void {
  let r: Result<unknown>;
  try {
    r = decode();
  } catch (err) {
    throw new InvariantViolation(
      `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}; it must return a rejection`,
      { cause: err },
    );
  }
  if (!r.ok && (typeof r.reason !== 'string' || typeof r.detail !== 'string')) {
    throw new InvariantViolation(`rejection without reason or detail: ${JSON.stringify(r)}`);
  }
}

function bytesOf(input: unknown): Buffer {
  return input as Buffer;
}

// ---- samples ---------------------------------------------------------------------------

const T0 = Date.UTC(2026, 0, 1);

const reading = (i: number): SensorData => ({
  sensorId: 1000 + i,
  sensorType: i % 9,
  timestamp: T0 + i * 1000,
  temperature: 20 + i / 7,
  humidity: 40 + i,
  pressure: 1013.25,
  batteryLevel: 80,
  status: 1 + (i % 4),
});

const AVRO_SAMPLES = [0, 1, 2, 3].map((i) => encodeSensorData(reading(i)));

const JSON_SAMPLES = [
  '{"device_id":"sensor_1","temperature":21.5,"humidity":40,"battery_level":80,"status":"online","event_time":1767225600000}',
  '{"sensorId":12,"sensorType":1,"batteryLevel":"77.5","timestamp":"2026-01-01T00:00:00Z","motionDetected":true}',
  '\ufeff {"deviceId":"garden-3","error_count":5,"lat":48.1,"lon":11.5,"status":2}',
  '{"device_id":"a","device_id":"b","temperature":[1,[2,{"x":null}]]}',
].map((s) => Buffer.from(s, 'utf8'));

/** Writer schemas a registry could hand ingest: older, newer, and one with every container. */
export const WRITER_SCHEMAS = {
  withoutTimestamp: WRITER_WITHOUT_TIMESTAMP,
  withContainers: {
    type: 'record',
    name: 'SensorData',
    namespace: 'com.iot.pipeline',
    fields: [
      { name: 'sensorId', type: 'int' },
      { name: 'sensorType', type: 'int' },
      { name: 'timestamp', type: 'long' },
      { name: 'tags', type: { type: 'array', items: 'null' } },
      { name: 'labels', type: { type: 'map', values: 'string' } },
      { name: 'raw', type: ['null', 'bytes'] },
      { name: 'temperature', type: 'double' },
      { name: 'humidity', type: 'double' },
      { name: 'pressure', type: 'double' },
      { name: 'batteryLevel', type: 'double' },
      { name: 'status', type: 'int' },
      { name: 'note', type: 'string' },
    ],
  },
} as const;

const CONTAINER_SAMPLES = [0, 3].map((n) =>
  avsc.Type.forSchema(WRITER_SCHEMAS.withContainers as unknown as AvroSchema).toBuffer({
    ...reading(n),
    tags: new Array<null>(n).fill(null),
    labels: n === 0 ? {} : { site: 'garden', floor: '2' },
    raw: n === 0 ? null : Buffer.from([1, 2, 3]),
    note: 'ü'.repeat(n),
  }),
);

function sensorRecord(i: number) {
  return { ...mapSensorData(reading(i), T0), device_id: i === 1 ? 'sensor_ü€𝄞' : `sensor_${i}` };
}

function recordsEnvelope(n: number): Buffer {
  const b = new RecordsEnvelopeBuilder();
  for (let i = 0; i < n; i++) b.add(sensorRecord(i), MessageId.parse(`12:${i}:3:${i % 5}:5`));
  // Even sizes name a predecessor envelope; the empty one is an idle marker.
  return b.finish(
    { partition: 3, position: `12:${n}:3:-1:0`, epoch: T0 },
    T0 - 5000,
    n % 2 === 0 ? `12:${n - 1}:3:-1:0` : null,
    n === 0,
  );
}

const ALERTS: Alert[] = [0, 1, 2].map((i) => ({
  device_id: `sensor_${i}`,
  event_time: T0 + i,
  kind: i % 2 ? 'high_humidity' : 'low_battery',
  source: i % 2 ? 'reading' : 'window_avg',
  value: 0.1 + i,
  threshold: 20,
}));

const AGGREGATES = [
  { device_id: 'sensor_1', window_start: T0, temperature_avg: 0.3, count: 12 },
  { device_id: 'sensor_2', window_start: T0 + 60_000, temperature_avg: 1e-300, count: 1 },
] as unknown as AggregateRow[];

const message = (payload: Buffer, meta: Record<string, unknown> = {}): Buffer =>
  encodePayloadCommand(
    {
      type: CommandType.MESSAGE,
      message: { consumer_id: 1n, message_id: { ledgerId: 7n, entryId: 3n } },
    },
    { producer_name: 'p', sequence_id: 0n, publish_time: 1n, ...meta },
    payload,
  );

const BATCH_SAMPLES = [
  encodeBatch(
    [
      { payload: AVRO_SAMPLES[0]!, key: 'sensor_1', properties: { a: 'b' }, eventTime: T0 },
      { payload: AVRO_SAMPLES[1]!, orderingKey: Buffer.from('k') },
      { payload: Buffer.alloc(0) },
    ],
    5,
  ),
  encodeBatch([{ payload: JSON_SAMPLES[0]! }], 0),
];

const FRAME_SAMPLES = [
  message(AVRO_SAMPLES[0]!, { partition_key: 'sensor_1', event_time: BigInt(T0) }),
  message(BATCH_SAMPLES[0]!, {
    num_messages_in_batch: 3,
    compression: CompressionType.LZ4,
    uncompressed_size: BATCH_SAMPLES[0]!.length,
  }),
  message(Buffer.alloc(0), {
    properties: [{ key: 'k', value: 'v' }],
    schema_version: Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]),
  }),
].map((f) => f.subarray(4)); // decodeFrame takes a frame after its totalSize

const SNAPSHOT_JSON = [
  {
    v: 1,
    ownerEpoch: 3,
    takenAt: T0,
    entries: [['w:sensor_1:1767225600000', '{"n":3}']],
    meta: [['position', '12:3:0:-1:0']],
    pending: ['x'],
  },
  { v: 1, entries: [], meta: [], pending: [] },
].map((d) => Buffer.from(JSON.stringify(d)));

const MANIFESTS = [
  {
    epoch: 4,
    startedAt: '2026-01-01T00:00:00Z',
    completedAt: '2026-01-01T00:00:01Z',
    kind: 'checkpoint',
    parts: [
      {
        service: 'ingest',
        partition: 0,
        key: 'k',
        bytes: 10,
        sha256: 'a'.repeat(64),
        ownerEpoch: 2,
      },
    ],
  },
  {
    epoch: 5,
    startedAt: 'x',
    completedAt: 'y',
    kind: 'savepoint',
    name: 'before-upgrade',
    parts: [],
  },
].map((m) => Buffer.from(JSON.stringify(m)));

// ---- targets ---------------------------------------------------------------------------

const byInputLength = (input: unknown): number => bytesOf(input).length;

/** A decompression input: compressed bytes (mutated) and the size the metadata declares. */
function compressedInputs(type: CompressionType): fc.Arbitrary<unknown> {
  const plain = [...AVRO_SAMPLES, ...JSON_SAMPLES, BATCH_SAMPLES[0]!, Buffer.alloc(3000, 7)];
  const samples = plain.map((p) => compress(type, p));
  return fc.record({
    data: bytesFor(samples),
    size: fc.oneof(
      fc.constantFrom(...plain.map((p) => p.length)),
      fc.nat({ max: 1 << 14 }),
      fc.constantFrom(FUZZ_MAX_MESSAGE_SIZE, FUZZ_MAX_MESSAGE_SIZE + 1, 2 ** 32 - 1, 2 ** 53, -1),
    ),
  });
}

function decompressor(name: string, type: CompressionType): FuzzTarget {
  return {
    name: `decompress ${name}`,
    inputs: compressedInputs(type),
    allocationBound: () => FUZZ_MAX_MESSAGE_SIZE,
    check(input) {
      const { data, size } = input as { data: Buffer; size: number };
      expectTyped(CompressionError, () => {
        const out = decompress(type, data, size, FUZZ_MAX_MESSAGE_SIZE);
        if (out.length !== size || size > FUZZ_MAX_MESSAGE_SIZE) {
          throw new InvariantViolation(`returned ${out.length} bytes for a declared ${size}`);
        }
      });
    },
  };
}

const json = fc.oneof(
  { weight: 3, arbitrary: bytesFor(JSON_SAMPLES) },
  {
    weight: 2,
    arbitrary: fc
      .jsonValue({ maxDepth: 4 })
      .map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ open: fc.constantFrom('[', '{"a":'), depth: fc.integer({ min: 1, max: 40_000 }) })
      .map(({ open, depth }) =>
        Buffer.from(
          `{"device_id":"x","t":${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}}`,
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: 'binary', maxLength: 200 })
      .map((s) => Buffer.from(`{"device_id":${JSON.stringify(s)},"temperature":1}`)),
  },
);

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  {
    name: 'pulsar frame',
    inputs: bytesFor(FRAME_SAMPLES),
    allocationBound: byInputLength,
    check: (input) => expectTyped(ProtocolError, () => decodeFrame(bytesOf(input))),
  },
  {
    name: 'pulsar frame stream',
    inputs: fc.record({
      bytes: bytesFor(FRAME_SAMPLES.map((f) => Buffer.concat([Buffer.alloc(4), f]))),
      split: fc.nat({ max: 512 }),
    }),
    allocationBound: () => FUZZ_MAX_MESSAGE_SIZE,
    check(input) {
      const { bytes, split } = input as { bytes: Buffer; split: number };
      expectTyped(ProtocolError, () => {
        const d = new FrameDecoder(FUZZ_MAX_MESSAGE_SIZE);
        const at = Math.min(split, bytes.length);
        for (const f of [...d.push(bytes.subarray(0, at)), ...d.push(bytes.subarray(at))]) {
          decodeFrame(f);
        }
      });
    },
  },
  {
    name: 'pulsar batch',
    inputs: fc.record({
      data: bytesFor(BATCH_SAMPLES),
      count: fc.oneof(fc.integer({ min: -1, max: 8 }), fc.constantFrom(2 ** 31, 2 ** 53)),
    }),
    allocationBound: (input) => (input as { data: Buffer }).data.length,
    check(input) {
      const { data, count } = input as { data: Buffer; count: number };
      expectTyped(ProtocolError, () => {
        const items = decodeBatch(data, count);
        const bytes = items.reduce((n, i) => n + i.payload.length, 0);
        if (items.length !== count || bytes > data.length) {
          throw new InvariantViolation(
            `${items.length} items, ${bytes} payload bytes from ${data.length}`,
          );
        }
      });
    },
  },
  decompressor('LZ4', CompressionType.LZ4),
  decompressor('Snappy', CompressionType.SNAPPY),
  decompressor('ZLIB', CompressionType.ZLIB),
  decompressor('ZSTD', CompressionType.ZSTD),
  {
    name: 'avro SensorData',
    inputs: bytesFor(AVRO_SAMPLES, 96),
    allocationBound: byInputLength,
    check: (input) => expectResult(() => decodeSensorData(bytesOf(input))),
  },
  {
    name: 'avro SensorData, registry writer schemas',
    inputs: fc.record({
      bytes: bytesFor([...AVRO_SAMPLES, ...CONTAINER_SAMPLES], 96),
      schema: fc.constantFrom(...Object.values(WRITER_SCHEMAS)),
    }),
    allocationBound: (input) => (input as { bytes: Buffer }).bytes.length,
    check(input) {
      const { bytes, schema } = input as { bytes: Buffer; schema: object };
      expectResult(() => decodeSensorData(bytes, schema));
    },
  },
  {
    name: 'avro SensorRecord (records codec)',
    inputs: bytesFor([0, 1, 2].map((i) => encodeRecord(sensorRecord(i)))),
    allocationBound: byInputLength,
    check: (input) => expectResult(() => decodeRecord(bytesOf(input))),
  },
  {
    name: 'legacy JSON',
    inputs: json,
    allocationBound: byInputLength,
    check(input) {
      expectResult(() => decodeLegacyJson(bytesOf(input), T0));
      expectResult(() => decodeSensorMessage({ payload: bytesOf(input), publishTime: T0 }));
    },
  },
  {
    name: 'MessageId.parse',
    inputs: fc.oneof(
      fc.string({ maxLength: 80 }),
      mutated([Buffer.from('12:3:0:-1:0'), Buffer.from('9007199254740991:1:2:3:4')]).map((b) =>
        b.toString('latin1'),
      ),
      bytesFor([new MessageId(7n, 3n, 2, 1, 5).toBuffer()]),
    ),
    allocationBound: (input) => (typeof input === 'string' ? input.length : bytesOf(input).length),
    check(input) {
      if (typeof input === 'string') {
        expectTyped(TypeError, () => {
          const id = MessageId.parse(input);
          // What parses must read back as itself.
          if (MessageId.parse(id.serialize()).compare(id) !== 0) {
            throw new InvariantViolation(`${input} → ${id.serialize()} does not round-trip`);
          }
        });
      } else {
        expectTyped(ProtocolError, () => MessageId.parse(bytesOf(input)));
      }
    },
  },
  {
    name: 'checkpoint manifest',
    inputs: bytesFor(MANIFESTS),
    allocationBound: byInputLength,
    check: (input) =>
      expectTyped(ManifestFormatError, () => parseManifest(bytesOf(input).toString('utf8'))),
  },
  {
    name: 'checkpoint snapshot',
    inputs: fc.oneof(
      bytesFor(SNAPSHOT_JSON.map((j) => gzipSync(j))),
      bytesFor(SNAPSHOT_JSON).map((j) => gzipSync(j)),
      fc.constant(encodeSnapshot({ entries: new Map([['a', 'b']]), meta: new Map(), pending: [] })),
    ),
    allocationBound: () => FUZZ_MAX_MESSAGE_SIZE,
    check: (input) => expectTyped(SnapshotFormatError, () => decodeSnapshot(bytesOf(input))),
  },
  {
    name: 'records envelope',
    inputs: bytesFor([recordsEnvelope(1), recordsEnvelope(4)]),
    allocationBound: byInputLength,
    check: (input) =>
      expectTyped(ChannelFormatError, () => {
        const e = decodeRecordsEnvelope(bytesOf(input));
        for (let i = 0; i < e.records.length; i++) e.positionOf(i);
      }),
  },
  {
    // What decodes must also apply: an envelope the window operator throws on would be
    // dead-lettered as operator_error (@iot/stage poison.ts), here it must not happen at all.
    name: 'records envelope → window operator',
    inputs: bytesFor([recordsEnvelope(1), recordsEnvelope(4)]),
    allocationBound: () => FUZZ_MAX_MESSAGE_SIZE,
    check(input) {
      let envelope;
      try {
        envelope = decodeRecordsEnvelope(bytesOf(input));
      } catch (err) {
        if (err instanceof ChannelFormatError) return;
        throw new InvariantViolation(`decode threw ${String(err)}`, { cause: err });
      }
      const op = new WindowOperator(
        {
          windowSizeMs: 60_000,
          alertRules: DEFAULT_ALERT_RULES,
          upstreamPartitions: 1,
        },
        T0,
      );
      try {
        op.process([envelope], T0 + 120_000);
      } catch (err) {
        throw new InvariantViolation(`the window operator threw ${String(err)}`, { cause: err });
      }
    },
  },
  {
    name: 'alerts envelope',
    inputs: bytesFor([encodeAlertsEnvelope(ALERTS)]),
    allocationBound: byInputLength,
    check: (input) => expectTyped(ChannelFormatError, () => decodeAlertsEnvelope(bytesOf(input))),
  },
  {
    name: 'aggregates envelope',
    inputs: bytesFor([encodeAggregatesEnvelope(AGGREGATES)]),
    allocationBound: byInputLength,
    check: (input) =>
      expectTyped(ChannelFormatError, () => decodeAggregatesEnvelope(bytesOf(input))),
  },
];

// ---- allocation watch ------------------------------------------------------------------

type Allocator = (size: number, ...rest: never[]) => Buffer;
let largest = 0;
let installed = false;

/**
 * Wraps Buffer's allocators so the fuzz run sees the largest buffer a decoder asked for (the
 * bug class of issue #11: `Buffer.allocUnsafe(size)` on a size a message declared).
 */
function watchAllocations(): void {
  if (installed) return;
  installed = true;
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const original = Buffer[name] as unknown as Allocator;
    const wrapped = (size: number, ...rest: never[]): Buffer => {
      if (size > largest) largest = size;
      return original.call(Buffer, size, ...rest);
    };
    (Buffer as unknown as Record<string, Allocator>)[name] = wrapped;
  }
}

/** Runs a target's check and its allocation bound together. */
export function runChecked(target: FuzzTarget, input: unknown): void {
  watchAllocations();
  largest = 0;
  target.check(input);
  // Slack for the fixed-size scratch buffers decoders keep (a few KiB).
  const bound = target.allocationBound(input) + 64 * 1024;
  if (largest > bound) {
    throw new InvariantViolation(`asked for a ${largest}-byte buffer; the bound is ${bound}`);
  }
}
