// Batched entry payload: N × [u32 size][SingleMessageMetadata][payload bytes].
// The whole sequence is compressed once by the producer; this module sees it uncompressed.
import { SingleMessageMetadataSpec, type SingleMessageMetadata } from './commands.ts';
import {
  ProtocolError,
  Writer,
  decodeMessage,
  encodeMessage,
  type ProtoObject,
} from './protobuf.ts';

export interface BatchItem {
  metadata: SingleMessageMetadata;
  payload: Buffer;
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

/** Splits an uncompressed batch payload into its `count` messages. */
export function decodeBatch(data: Buffer, count: number): BatchItem[] {
  const items: BatchItem[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 4 > data.length) throw new ProtocolError(`batch truncated at message ${i} of ${count}`);
    const metaSize = data.readUInt32BE(p);
    p += 4;
    if (p + metaSize > data.length)
      throw new ProtocolError(`batch message ${i} metadata truncated`);
    const metadata = decodeMessage(
      SingleMessageMetadataSpec,
      data,
      p,
      p + metaSize,
    ) as unknown as SingleMessageMetadata;
    p += metaSize;
    const size = metadata.payload_size;
    if (size < 0 || p + size > data.length)
      throw new ProtocolError(`batch message ${i} payload truncated`);
    items.push({ metadata, payload: data.subarray(p, p + size) });
    p += size;
  }
  return items;
}
