// Batched entry payload: N × [u32 size][SingleMessageMetadata][payload bytes].
// The whole sequence is compressed once by the producer; this module sees it uncompressed.
import { SingleMessageMetadataSpec, type SingleMessageMetadata } from './commands.ts';
import { ProtocolError, Reader, Writer, encodeMessage, type ProtoObject } from './protobuf.ts';

/** One message of a consumed batch: its SingleMessageMetadata, in the form consumers use. */
export interface BatchItem {
  payload: Buffer;
  properties: Record<string, string>;
  partitionKey: string | undefined;
  /** Ms since the epoch; undefined when absent or 0. */
  eventTime: number | undefined;
  sequenceId: bigint | undefined;
  orderingKey: Buffer | undefined;
  compactedOut: boolean;
}

/** Serialises one message of a batch; payload_size is filled in from the payload. */
export function encodeBatchItem(
  metadata: Omit<SingleMessageMetadata, 'payload_size'>,
  payload: Buffer,
): Buffer {
  const meta = encodeMessage(SingleMessageMetadataSpec, {
    ...(metadata as ProtoObject),
    payload_size: payload.length,
  });
  const out = Buffer.allocUnsafe(4 + meta.length + payload.length);
  out.writeUInt32BE(meta.length, 0);
  meta.copy(out, 4);
  payload.copy(out, 4 + meta.length);
  return out;
}

/** One message of a batch as the producer holds it. */
export interface BatchInput {
  payload: Buffer;
  key?: string | undefined;
  properties?: Record<string, string> | undefined;
  /** Ms since the epoch; omitted when not a positive number. */
  eventTime?: number | Date | undefined;
  orderingKey?: Buffer | undefined;
}

// The producer's hot path: one reused scratch buffer, SingleMessageMetadata written by hand
// (same bytes as encodeBatchItem, pinned by a test), no per-message objects.
const scratch = new Writer(256 * 1024);
const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;

function varintLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/**
 * The uncompressed payload of a batch: for each message [u32 size][SingleMessageMetadata]
 * [payload], sequence ids counting up from `firstSequenceId` (which must be below 2^53).
 */
export function encodeBatch(items: readonly BatchInput[], firstSequenceId: number): Buffer {
  const w = scratch;
  w.reset();
  for (let i = 0; i < items.length; i++) {
    const m = items[i]!;
    const sizeAt = w.reserveUInt32();
    const metaStart = w.length;
    const props = m.properties;
    if (props !== undefined) {
      for (const name in props) {
        const value = String(props[name]);
        const nameLen = Buffer.byteLength(name, 'utf8');
        const valueLen = Buffer.byteLength(value, 'utf8');
        w.key(1, WIRE_LENGTH);
        w.varint(2 + varintLength(nameLen) + nameLen + varintLength(valueLen) + valueLen);
        w.key(1, WIRE_LENGTH);
        w.string(name);
        w.key(2, WIRE_LENGTH);
        w.string(value);
      }
    }
    if (m.key !== undefined) {
      w.key(2, WIRE_LENGTH);
      w.string(m.key);
    }
    w.key(3, WIRE_VARINT);
    w.varint(m.payload.length);
    if (m.eventTime !== undefined) {
      const ms = typeof m.eventTime === 'number' ? m.eventTime : m.eventTime.getTime();
      if (ms > 0) {
        w.key(5, WIRE_VARINT);
        w.varint(Math.floor(ms));
      }
    }
    if (m.orderingKey) {
      w.key(7, WIRE_LENGTH);
      w.bytes(m.orderingKey);
    }
    w.key(8, WIRE_VARINT);
    w.varint(firstSequenceId + i);
    w.setUInt32BE(sizeAt, w.length - metaStart);
    w.raw(m.payload);
  }
  return w.copy();
}

/** Smallest message in a batch: a 4-byte metadata size and a 2-byte payload_size field. */
const MIN_BATCH_ITEM_BYTES = 6;

/**
 * Splits an uncompressed batch payload into its `count` messages. SingleMessageMetadata is
 * read by hand rather than through the generic decoder: a consumer does this once per message,
 * and the generic path (a KeyValue object per property, bigints for times) showed in profiles.
 * Same rules as decodeMessage: unknown fields skipped, bad or truncated data a ProtocolError.
 */
export function decodeBatch(data: Buffer, count: number): BatchItem[] {
  // The count is the producer's word: refuse one the bytes cannot hold before building items.
  if (!Number.isSafeInteger(count) || count < 1 || count * MIN_BATCH_ITEM_BYTES > data.length) {
    throw new ProtocolError(
      `batch declares ${count} messages; ${data.length} bytes hold at most ${Math.floor(data.length / MIN_BATCH_ITEM_BYTES)}`,
    );
  }
  const items: BatchItem[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 4 > data.length) throw new ProtocolError(`batch truncated at message ${i} of ${count}`);
    const metaSize = data.readUInt32BE(p);
    p += 4;
    if (p + metaSize > data.length)
      throw new ProtocolError(`batch message ${i} metadata truncated`);
    const item = decodeBatchMessage(data, p, p + metaSize, i);
    items.push(item);
    p += metaSize + item.payload.length;
  }
  return items;
}

function wrongWire(field: string, wire: number, expected: number): ProtocolError {
  return new ProtocolError(
    `malformed protobuf in SingleMessageMetadata.${field}: wire type ${wire}, expected ${expected}`,
  );
}

/**
 * One message of a batch: its SingleMessageMetadata in buf[start, end), and the payload of
 * payload_size bytes that follows it.
 */
function decodeBatchMessage(buf: Buffer, start: number, end: number, index: number): BatchItem {
  const r = new Reader(buf, start, end);
  const out: BatchItem = {
    payload: EMPTY,
    properties: {},
    partitionKey: undefined,
    eventTime: undefined,
    sequenceId: undefined,
    orderingKey: undefined,
    compactedOut: false,
  };
  let payloadSize = -1;
  let sawSize = false;
  while (r.pos < end) {
    const key = r.varint32() >>> 0;
    const no = key >>> 3;
    const wire = key & 7;
    if (no === 0) throw new ProtocolError('malformed protobuf in SingleMessageMetadata: field 0');
    switch (no) {
      case 1: {
        if (wire !== WIRE_LENGTH) throw wrongWire('properties', wire, WIRE_LENGTH);
        const [s, e] = r.lengthDelimited();
        readProperty(buf, s, e, out.properties);
        break;
      }
      case 2: {
        if (wire !== WIRE_LENGTH) throw wrongWire('partition_key', wire, WIRE_LENGTH);
        const [s, e] = r.lengthDelimited();
        out.partitionKey = buf.toString('utf8', s, e);
        break;
      }
      case 3:
        if (wire !== WIRE_VARINT) throw wrongWire('payload_size', wire, WIRE_VARINT);
        payloadSize = r.varint32() | 0;
        sawSize = true;
        break;
      case 4:
        if (wire !== WIRE_VARINT) throw wrongWire('compacted_out', wire, WIRE_VARINT);
        out.compactedOut = r.varint32() !== 0;
        break;
      case 5: {
        if (wire !== WIRE_VARINT) throw wrongWire('event_time', wire, WIRE_VARINT);
        // Exact below 2^53 ms (year 287,396); 0 means "not set", as in the Java client.
        const t = r.varintNumber();
        out.eventTime = t > 0 ? t : undefined;
        break;
      }
      case 7: {
        if (wire !== WIRE_LENGTH) throw wrongWire('ordering_key', wire, WIRE_LENGTH);
        const [s, e] = r.lengthDelimited();
        out.orderingKey = Buffer.from(buf.subarray(s, e));
        break;
      }
      case 8:
        if (wire !== WIRE_VARINT) throw wrongWire('sequence_id', wire, WIRE_VARINT);
        out.sequenceId = r.varint64();
        break;
      default:
        // partition_key_b64_encoded, null_value, null_partition_key and fields from newer
        // protocol versions: not used by this client.
        r.skip(wire);
    }
  }
  if (r.pos !== end) {
    throw new ProtocolError('malformed protobuf in SingleMessageMetadata: overran its end');
  }
  if (!sawSize) {
    throw new ProtocolError(
      'malformed SingleMessageMetadata: required field payload_size is missing',
    );
  }
  if (payloadSize < 0 || end + payloadSize > buf.length) {
    throw new ProtocolError(`batch message ${index} payload truncated`);
  }
  out.payload = buf.subarray(end, end + payloadSize);
  return out;
}

const EMPTY = Buffer.alloc(0);

/** Reads one KeyValue { 1: key, 2: value } into `into` (a later duplicate key wins). */
function readProperty(buf: Buffer, start: number, end: number, into: Record<string, string>): void {
  const r = new Reader(buf, start, end);
  let key: string | undefined;
  let value: string | undefined;
  while (r.pos < end) {
    const tag = r.varint32() >>> 0;
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 0) throw new ProtocolError('malformed protobuf in KeyValue: field 0');
    if (no === 1 || no === 2) {
      if (wire !== WIRE_LENGTH) throw wrongWire(no === 1 ? 'key' : 'value', wire, WIRE_LENGTH);
      const [s, e] = r.lengthDelimited();
      const text = buf.toString('utf8', s, e);
      if (no === 1) key = text;
      else value = text;
    } else {
      r.skip(wire);
    }
  }
  if (key === undefined || value === undefined) {
    throw new ProtocolError(
      `malformed KeyValue: required field ${key === undefined ? 'key' : 'value'} is missing`,
    );
  }
  into[key] = value;
}
