// Batched entry payload: N × [u32 size][SingleMessageMetadata][payload bytes].
// The whole sequence is compressed once by the producer; this module sees it uncompressed.
import { SingleMessageMetadataSpec, type SingleMessageMetadata } from './commands.ts';
import { ProtocolError, decodeMessage, encodeMessage, type ProtoObject } from './protobuf.ts';

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
