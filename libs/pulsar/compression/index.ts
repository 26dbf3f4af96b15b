// Codecs by Pulsar CompressionType. LZ4 and Snappy are implemented here (Node has neither);
// ZLIB and ZSTD come from node:zlib (zstd since Node 22.15, hence `engines`).
import * as zlib from 'node:zlib';
import { CompressionType } from '../protocol/commands.ts';
import { DEFAULT_MAX_MESSAGE_SIZE } from '../protocol/frame.ts';
import { CompressionError } from './errors.ts';
import { lz4Compress, lz4Decompress } from './lz4.ts';
import { snappyCompress, snappyDecompress } from './snappy.ts';

export { CompressionError } from './errors.ts';

export type CompressionName = 'none' | 'lz4' | 'zlib' | 'zstd' | 'snappy';

export const COMPRESSION_TYPES: Record<CompressionName, CompressionType> = {
  none: CompressionType.NONE,
  lz4: CompressionType.LZ4,
  zlib: CompressionType.ZLIB,
  zstd: CompressionType.ZSTD,
  snappy: CompressionType.SNAPPY,
};

export function isCompressionSupported(type: CompressionType): boolean {
  return type in CompressionType;
}

export function compress(type: CompressionType, data: Buffer): Buffer {
  switch (type) {
    case CompressionType.NONE:
      return data;
    case CompressionType.LZ4:
      return lz4Compress(data);
    case CompressionType.ZLIB:
      return zlib.deflateSync(data);
    case CompressionType.SNAPPY:
      return snappyCompress(data);
    case CompressionType.ZSTD:
      return zlib.zstdCompressSync(data);
    default:
      throw new CompressionError(`unknown compression type ${String(type)}`);
  }
}

/**
 * Decompresses to exactly `size` bytes or throws CompressionError. `size` comes from the
 * message's metadata, which anyone who can publish writes: above `maxSize` (the client's
 * maxMessageSize) it is refused before any codec allocates its output.
 */
export function decompress(
  type: CompressionType,
  data: Buffer,
  size: number,
  maxSize = DEFAULT_MAX_MESSAGE_SIZE,
): Buffer {
  if (
    type !== CompressionType.NONE &&
    !(Number.isSafeInteger(size) && size >= 0 && size <= maxSize)
  ) {
    throw new CompressionError(
      `metadata declares ${size} uncompressed bytes, above the ${maxSize}-byte maxMessageSize; refused before decompressing`,
    );
  }
  let out: Buffer;
  switch (type) {
    case CompressionType.NONE:
      return data;
    case CompressionType.LZ4:
      out = lz4Decompress(data, size);
      break;
    case CompressionType.SNAPPY:
      // The Snappy preamble is a second size claim: it may only be at most `size` here, so
      // the size check below is what makes it agree with the metadata (fuzzing found a
      // shorter one passing through).
      out = snappyDecompress(data, size);
      break;
    case CompressionType.ZLIB:
      try {
        // The Java client deflates with SYNC_FLUSH and never finishes the stream (no final
        // block, no Adler-32 trailer); accept that, the size check below catches truncation.
        out = zlib.inflateSync(data, {
          maxOutputLength: Math.max(size, 1),
          finishFlush: zlib.constants.Z_SYNC_FLUSH,
        });
      } catch (err) {
        throw new CompressionError(`corrupt ZLIB data: ${(err as Error).message}`);
      }
      break;
    case CompressionType.ZSTD:
      try {
        // Bounded: a frame cannot make us allocate more than the metadata says.
        out = zlib.zstdDecompressSync(data, { maxOutputLength: Math.max(size, 1) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
          throw new CompressionError(
            `ZSTD data decompresses to more than the ${size} bytes the metadata says`,
          );
        throw new CompressionError(`corrupt ZSTD data: ${(err as Error).message}`);
      }
      break;
    default:
      throw new CompressionError(`unknown compression type ${String(type)}`);
  }
  if (out.length !== size) {
    throw new CompressionError(`decompressed ${out.length} bytes, metadata says ${size}`);
  }
  return out;
}
