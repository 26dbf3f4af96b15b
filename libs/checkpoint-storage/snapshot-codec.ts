// A partition snapshot as stored in checkpoint storage: compact JSON (entries and meta as
// [key, value] pairs, pending as an array), gzip-compressed. Pure functions, no I/O.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { PartitionSnapshot } from '@iot/state';

/** What is stored besides the state itself (docs/architecture.md, "Checkpoints": state + positions + owner epoch). */
export interface SnapshotInfo {
  /** The owner epoch of the instance that took the snapshot. */
  ownerEpoch?: number;
  /** When it was taken (ms since the epoch). */
  takenAt?: number;
}

export interface StoredSnapshot extends SnapshotInfo {
  snapshot: PartitionSnapshot;
}

const FORMAT_VERSION = 1;

/**
 * Largest snapshot decoded (uncompressed JSON). A body read back from S3 is outside input: a
 * few KiB of gzip can expand to gigabytes, so gunzip stops here instead of taking the heap.
 * V8 cannot hold a string much above 512 MiB anyway.
 */
export const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

export class SnapshotFormatError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: not a partition snapshot (${problem}); was it written by checkpoint-storage?`);
    this.name = 'SnapshotFormatError';
  }
}

export function encodeSnapshot(snapshot: PartitionSnapshot, info: SnapshotInfo = {}): Buffer {
  const doc = {
    v: FORMAT_VERSION,
    ...(info.ownerEpoch === undefined ? {} : { ownerEpoch: info.ownerEpoch }),
    ...(info.takenAt === undefined ? {} : { takenAt: info.takenAt }),
    entries: [...snapshot.entries],
    meta: [...snapshot.meta],
    pending: snapshot.pending,
  };
  return gzipSync(JSON.stringify(doc));
}

/**
 * Decodes a whole snapshot or throws SnapshotFormatError: the caller applies nothing until it
 * has the result, so a corrupt snapshot is reported, never half-applied.
 */
export function decodeSnapshot(
  body: Uint8Array,
  where = 'snapshot',
  maxBytes = MAX_SNAPSHOT_BYTES,
): StoredSnapshot {
  let doc: unknown;
  try {
    doc = JSON.parse(gunzipSync(body, { maxOutputLength: maxBytes }).toString('utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new SnapshotFormatError(where, `expands beyond ${maxBytes} bytes`);
    }
    throw new SnapshotFormatError(where, `cannot gunzip/parse: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null)
    throw new SnapshotFormatError(where, 'not an object');
  const d = doc as Record<string, unknown>;
  if (d.v !== FORMAT_VERSION) {
    throw new SnapshotFormatError(
      where,
      `format version ${String(d.v)}, expected ${FORMAT_VERSION}`,
    );
  }
  const out: StoredSnapshot = {
    snapshot: {
      entries: pairs(d.entries, where, 'entries'),
      meta: pairs(d.meta, where, 'meta'),
      pending: strings(d.pending, where, 'pending'),
    },
  };
  if (typeof d.ownerEpoch === 'number') out.ownerEpoch = d.ownerEpoch;
  if (typeof d.takenAt === 'number') out.takenAt = d.takenAt;
  return out;
}

export function sha256Hex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function pairs(value: unknown, where: string, field: string): Map<string, string> {
  if (!Array.isArray(value)) throw new SnapshotFormatError(where, `${field} is not an array`);
  const map = new Map<string, string>();
  for (const pair of value) {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    ) {
      throw new SnapshotFormatError(where, `${field} holds something other than [string, string]`);
    }
    map.set(pair[0], pair[1]);
  }
  return map;
}

function strings(value: unknown, where: string, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new SnapshotFormatError(where, `${field} is not an array of strings`);
  }
  return value as string[];
}
