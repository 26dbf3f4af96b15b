// The epoch manifest: written last, so an epoch exists exactly when its manifest does
// (docs/architecture.md, "Checkpoints"). Parsing validates every field, so a foreign or truncated object is refused
// with a message naming it instead of restoring garbage.
import { checkName, type EpochLocation } from './layout.ts';

export interface ManifestPart {
  service: string;
  partition: number;
  /** Object key of the snapshot (full key in the bucket, prefix included). */
  key: string;
  /** Stored (compressed) size. */
  bytes: number;
  /** sha256 of the stored bytes, hex. */
  sha256: string;
  /** Owner epoch of the instance that took the snapshot, when it said. */
  ownerEpoch?: number;
}

export interface Manifest {
  epoch: number;
  /** ISO 8601 times. */
  startedAt: string;
  completedAt: string;
  kind: 'checkpoint' | 'savepoint';
  /** Savepoints only. */
  name?: string;
  parts: ManifestPart[];
}

export class ManifestFormatError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: invalid epoch manifest (${problem})`);
    this.name = 'ManifestFormatError';
  }
}

export function manifestLocation(m: Manifest): EpochLocation {
  return m.kind === 'savepoint'
    ? { kind: 'savepoint', name: m.name ?? '' }
    : { kind: 'checkpoint', epoch: m.epoch };
}

export function totalBytes(m: Manifest): number {
  return m.parts.reduce((sum, p) => sum + p.bytes, 0);
}

export function parseManifest(text: string, where = 'manifest'): Manifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ManifestFormatError(where, `not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null)
    throw new ManifestFormatError(where, 'not an object');
  const d = doc as Record<string, unknown>;
  const fail = (problem: string): never => {
    throw new ManifestFormatError(where, problem);
  };
  if (!isCount(d.epoch)) fail('epoch is not a non-negative integer');
  if (typeof d.startedAt !== 'string') fail('startedAt is not a string');
  if (typeof d.completedAt !== 'string') fail('completedAt is not a string');
  if (d.kind !== 'checkpoint' && d.kind !== 'savepoint') fail('kind is not checkpoint|savepoint');
  if (d.kind === 'savepoint' && typeof d.name !== 'string') fail('savepoint without a name');
  if (!Array.isArray(d.parts)) fail('parts is not an array');
  const parts = (d.parts as unknown[]).map((p, i): ManifestPart => {
    if (typeof p !== 'object' || p === null) return fail(`parts[${i}] is not an object`);
    const q = p as Record<string, unknown>;
    if (typeof q.service !== 'string') fail(`parts[${i}].service is not a string`);
    if (!isCount(q.partition)) fail(`parts[${i}].partition is not a non-negative integer`);
    if (typeof q.key !== 'string') fail(`parts[${i}].key is not a string`);
    if (!isCount(q.bytes)) fail(`parts[${i}].bytes is not a non-negative integer`);
    if (typeof q.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(q.sha256)) {
      fail(`parts[${i}].sha256 is not 64 hex digits`);
    }
    const part: ManifestPart = {
      service: q.service as string,
      partition: q.partition as number,
      key: q.key as string,
      bytes: q.bytes as number,
      sha256: q.sha256 as string,
    };
    if (typeof q.ownerEpoch === 'number') part.ownerEpoch = q.ownerEpoch;
    return part;
  });
  const m: Manifest = {
    epoch: d.epoch as number,
    startedAt: d.startedAt as string,
    completedAt: d.completedAt as string,
    kind: d.kind as Manifest['kind'],
    parts,
  };
  if (d.kind === 'savepoint') {
    // A stored name is outside input like the rest: a bad one is a bad manifest (fuzz finding:
    // checkName's TypeError escaped parseManifest).
    try {
      m.name = checkName('savepoint name', d.name as string);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  return m;
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * What retention removes: all but the newest `keep` complete checkpoints; never a savepoint,
 * never a `pinned` checkpoint (one being restored). Also checkpoint folders without a
 * manifest (abandoned epochs, stragglers that uploaded after an abandon) numbered below
 * `sweepBelow` — never the epoch in progress.
 */
export function selectExpired(
  complete: readonly Manifest[],
  incomplete: readonly EpochLocation[],
  keep: number,
  sweepBelow: number,
  pinned: ReadonlySet<number> = new Set(),
): { expire: number[]; sweep: number[] } {
  if (!Number.isSafeInteger(keep) || keep < 1)
    throw new RangeError(`keep must be ≥ 1, got ${keep}`);
  const checkpoints = complete
    .filter((m) => m.kind === 'checkpoint')
    .map((m) => m.epoch)
    .sort((a, b) => b - a);
  const expire = checkpoints
    .slice(keep)
    .filter((e) => !pinned.has(e))
    .sort((a, b) => a - b);
  const sweep = incomplete
    .flatMap((l) => (l.kind === 'checkpoint' && l.epoch < sweepBelow ? [l.epoch] : []))
    .sort((a, b) => a - b);
  return { expire, sweep };
}
