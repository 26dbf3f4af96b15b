// Pulsar frames: [totalSize u32][commandSize u32][BaseCommand] and, for payload commands,
// optional [0x0e02][size u32][BrokerEntryMetadata] (broker → client), then
// [0x0e01][crc32c u32][metadataSize u32][MessageMetadata][payload]. All big-endian.
import {
  BaseCommandSpec,
  BrokerEntryMetadataSpec,
  COMMAND_FIELDS,
  MessageMetadataSpec,
  type BaseCommand,
  type BrokerEntryMetadata,
  type CommandType,
  type MessageMetadata,
} from './commands.ts';
import { crc32c } from './crc32c.ts';
import { ProtocolError, decodeMessage, encodeMessage, type ProtoObject } from './protobuf.ts';

export const MAGIC_CRC32C = 0x0e01;
export const MAGIC_BROKER_ENTRY_METADATA = 0x0e02;
/** Pulsar's default maxMessageSize; the broker announces its own in CONNECTED. */
export const DEFAULT_MAX_MESSAGE_SIZE = 5 * 1024 * 1024;
/** Room for command + metadata around a maximal message. */
export const FRAME_OVERHEAD_ALLOWANCE = 64 * 1024;

export class FrameTooLargeError extends ProtocolError {
  constructor(size: number, max: number) {
    super(
      `received a frame of ${size} bytes, above the ${max}-byte limit; ` +
        'if serviceUrl points at the HTTP admin port (8080), use the binary port (6650) instead',
    );
    this.name = 'FrameTooLargeError';
  }
}

export interface Frame {
  command: BaseCommand;
  brokerEntryMetadata?: BrokerEntryMetadata;
  metadata?: MessageMetadata;
  payload?: Buffer;
  /** False when the payload's CRC32C did not match (the consumer discards such messages). */
  checksumOk?: boolean;
}

const SUB_FIELD = new Map<CommandType, string>(COMMAND_FIELDS.map(([t, name]) => [t, name]));
const SUB_SPEC = new Map(COMMAND_FIELDS.map(([t, , s]) => [t, s]));

export function encodeBaseCommand(command: BaseCommand): Buffer {
  const field = SUB_FIELD.get(command.type);
  if (!field) throw new TypeError(`unsupported command type ${command.type}`);
  const body = (command as unknown as ProtoObject)[field] ?? {};
  return encodeMessage(BaseCommandSpec, { type: command.type, [field]: body });
}

/** A frame without payload: [totalSize][commandSize][command]. */
export function encodeCommand(command: BaseCommand): Buffer {
  const cmd = encodeBaseCommand(command);
  const out = Buffer.allocUnsafe(8 + cmd.length);
  out.writeUInt32BE(4 + cmd.length, 0);
  out.writeUInt32BE(cmd.length, 4);
  cmd.copy(out, 8);
  return out;
}

/** A frame with metadata and payload, checksummed with CRC32C. */
export function encodePayloadCommand(
  command: BaseCommand,
  metadata: MessageMetadata,
  payload: Uint8Array,
): Buffer {
  const cmd = encodeBaseCommand(command);
  const meta = encodeMessage(MessageMetadataSpec, metadata as unknown as ProtoObject);
  const total = 4 + cmd.length + 2 + 4 + 4 + meta.length + payload.length;
  const out = Buffer.allocUnsafe(4 + total);
  let p = 0;
  p = out.writeUInt32BE(total, p);
  p = out.writeUInt32BE(cmd.length, p);
  p += cmd.copy(out, p);
  p = out.writeUInt16BE(MAGIC_CRC32C, p);
  const crcAt = p;
  p += 4;
  const checksumFrom = p;
  p = out.writeUInt32BE(meta.length, p);
  p += meta.copy(out, p);
  out.set(payload, p);
  out.writeUInt32BE(crc32c(out.subarray(checksumFrom)), crcAt);
  return out;
}

export function decodeBaseCommand(buf: Buffer, start = 0, end = buf.length): BaseCommand {
  const raw = decodeMessage(BaseCommandSpec, buf, start, end);
  const type = raw.type as CommandType;
  const field = SUB_FIELD.get(type);
  if (!field) throw new ProtocolError(`unknown command type ${type}`);
  if (raw[field] === undefined) {
    const s = SUB_SPEC.get(type)!;
    if (s.fields.some((f) => f.rule === 'required')) {
      throw new ProtocolError(`command ${type} lacks its ${field} body`);
    }
    raw[field] = {};
  }
  return raw as unknown as BaseCommand;
}

/**
 * Decodes one frame, given its bytes after the 4-byte totalSize. Any malformed input raises
 * ProtocolError.
 */
export function decodeFrame(frame: Buffer): Frame {
  const n = frame.length;
  if (n < 4) throw new ProtocolError(`frame of ${n} bytes is too short for a command size`);
  const cmdSize = frame.readUInt32BE(0);
  if (cmdSize > n - 4) {
    throw new ProtocolError(`command size ${cmdSize} exceeds the frame (${n - 4} bytes left)`);
  }
  const command = decodeBaseCommand(frame, 4, 4 + cmdSize);
  let p = 4 + cmdSize;
  if (p === n) return { command };

  const result: Frame = { command };
  if (p + 2 <= n && frame.readUInt16BE(p) === MAGIC_BROKER_ENTRY_METADATA) {
    if (p + 6 > n) throw new ProtocolError('truncated broker entry metadata');
    const size = frame.readUInt32BE(p + 2);
    if (p + 6 + size > n) throw new ProtocolError('broker entry metadata runs past the frame');
    result.brokerEntryMetadata = decodeMessage(
      BrokerEntryMetadataSpec,
      frame,
      p + 6,
      p + 6 + size,
    ) as BrokerEntryMetadata;
    p += 6 + size;
  }
  if (p + 2 <= n && frame.readUInt16BE(p) === MAGIC_CRC32C) {
    if (p + 6 > n) throw new ProtocolError('truncated checksum');
    const expected = frame.readUInt32BE(p + 2);
    p += 6;
    result.checksumOk = crc32c(frame.subarray(p)) === expected;
  }
  if (p + 4 > n) throw new ProtocolError('truncated metadata size');
  const metaSize = frame.readUInt32BE(p);
  p += 4;
  if (p + metaSize > n) throw new ProtocolError('message metadata runs past the frame');
  result.metadata = decodeMessage(
    MessageMetadataSpec,
    frame,
    p,
    p + metaSize,
  ) as unknown as MessageMetadata;
  result.payload = frame.subarray(p + metaSize);
  return result;
}

/**
 * Splits a byte stream into frames. Chunks are kept as a list and joined once per frame,
 * so a large frame arriving in many pieces is copied once.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private maxFrameSize = DEFAULT_MAX_MESSAGE_SIZE + FRAME_OVERHEAD_ALLOWANCE) {}

  setMaxFrameSize(size: number): void {
    this.maxFrameSize = size;
  }

  /** Adds bytes; returns the complete frames (each without its totalSize prefix). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= 4) {
      const total = this.peekUInt32();
      if (total > this.maxFrameSize) throw new FrameTooLargeError(total, this.maxFrameSize);
      if (total < 4) throw new ProtocolError(`frame size ${total} is below the 4-byte minimum`);
      if (this.buffered < 4 + total) break;
      const all = this.take(4 + total);
      frames.push(all.subarray(4));
    }
    return frames;
  }

  private peekUInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readUInt32BE(0);
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.readUInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const joined = Buffer.concat(this.chunks);
      out = joined.subarray(0, n);
      this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}
