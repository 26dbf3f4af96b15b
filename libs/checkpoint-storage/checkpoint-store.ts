// S3 adapter for checkpoint storage (docs/architecture.md, "Checkpoints"): partition snapshots, epoch manifests,
// listing of complete epochs, deletion and retention. Constructed with an S3Client, so it
// works with AWS S3, MinIO or the local stack's S3Proxy alike.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { PartitionSnapshot } from '@iot/state';
import {
  MANIFEST_FILE,
  checkName,
  describeLocation,
  epochDir,
  normalizePrefix,
  parseEpochKey,
  parsePinKey,
  partPath,
  pinPath,
  type EpochLocation,
} from './layout.ts';
import {
  manifestLocation,
  parseManifest,
  selectExpired,
  type Manifest,
  type ManifestPart,
} from './manifest.ts';
import {
  decodeSnapshot,
  encodeSnapshot,
  sha256Hex,
  type SnapshotInfo,
  type StoredSnapshot,
} from './snapshot-codec.ts';

export interface CheckpointStoreOptions {
  s3: S3Client;
  bucket: string;
  /** Keys go below this folder ("" = bucket root); tests use a unique one. */
  prefix?: string;
  /** Concurrent requests when deleting an epoch's objects. */
  deleteConcurrency?: number;
}

export class CheckpointStorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointStorageError';
  }
}

export interface EpochListing {
  /** Epochs with a manifest (checkpoints and savepoints), oldest epoch number first. */
  complete: Manifest[];
  /** Folders holding objects but no manifest: abandoned or in progress. */
  incomplete: EpochLocation[];
  /** Highest epoch number seen anywhere (manifests and checkpoint folders), -1 if none. */
  maxEpoch: number;
}

export class CheckpointStore {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  private readonly deleteConcurrency: number;

  constructor(opts: CheckpointStoreOptions) {
    this.s3 = opts.s3;
    this.bucket = opts.bucket;
    this.prefix = normalizePrefix(opts.prefix ?? '');
    this.deleteConcurrency = opts.deleteConcurrency ?? 16;
  }

  /** Full object key of one partition's snapshot in an epoch. */
  partKey(loc: EpochLocation, service: string, partition: number): string {
    return this.prefix + partPath(loc, service, partition);
  }

  manifestKey(loc: EpochLocation): string {
    return this.prefix + epochDir(loc) + MANIFEST_FILE;
  }

  /** Uploads one partition's snapshot; returns its manifest entry. */
  async putSnapshot(
    loc: EpochLocation,
    service: string,
    partition: number,
    snapshot: PartitionSnapshot,
    info: SnapshotInfo = {},
  ): Promise<ManifestPart> {
    const key = this.partKey(loc, service, partition);
    const body = encodeSnapshot(snapshot, info);
    await this.put(key, body, 'application/gzip');
    const part: ManifestPart = {
      service,
      partition,
      key,
      bytes: body.length,
      sha256: sha256Hex(body),
    };
    if (info.ownerEpoch !== undefined) part.ownerEpoch = info.ownerEpoch;
    return part;
  }

  /** Downloads a snapshot; with a manifest entry, also checks its size and sha256. */
  async getSnapshot(part: ManifestPart | string): Promise<StoredSnapshot> {
    const key = typeof part === 'string' ? part : part.key;
    const body = await this.get(key);
    if (body === undefined) {
      throw new CheckpointStorageError(
        `s3://${this.bucket}/${key}: snapshot missing (the epoch was deleted or never completed)`,
      );
    }
    if (typeof part !== 'string') {
      const sha = sha256Hex(body);
      if (body.length !== part.bytes || sha !== part.sha256) {
        throw new CheckpointStorageError(
          `s3://${this.bucket}/${key}: stored snapshot does not match its manifest ` +
            `(${body.length} bytes sha256 ${sha}, manifest says ${part.bytes} bytes ${part.sha256})`,
        );
      }
    }
    return decodeSnapshot(body, `s3://${this.bucket}/${key}`);
  }

  /** Writes the manifest: call it last, once every part is stored. */
  async writeManifest(manifest: Manifest): Promise<void> {
    if (manifest.kind === 'savepoint') checkName('savepoint name', manifest.name ?? '');
    const key = this.manifestKey(manifestLocation(manifest));
    await this.put(key, Buffer.from(JSON.stringify(manifest)), 'application/json');
  }

  async readManifest(loc: EpochLocation): Promise<Manifest | undefined> {
    const key = this.manifestKey(loc);
    const body = await this.get(key);
    return body === undefined
      ? undefined
      : parseManifest(body.toString('utf8'), `s3://${this.bucket}/${key}`);
  }

  /** Every epoch folder, split into complete (manifest read) and incomplete. */
  async listEpochs(): Promise<EpochListing> {
    const folders = new Map<string, { loc: EpochLocation; manifest: boolean }>();
    let maxEpoch = -1;
    for (const top of ['checkpoints/', 'savepoints/']) {
      for (const key of await this.listKeys(this.prefix + top)) {
        if (key.endsWith('/')) continue; // a folder marker (S3Proxy's filesystem backend)
        const parsed = parseEpochKey(key.slice(this.prefix.length));
        if (parsed === undefined) continue;
        const id = epochDir(parsed.loc);
        const folder = folders.get(id) ?? { loc: parsed.loc, manifest: false };
        if (parsed.rest === MANIFEST_FILE) folder.manifest = true;
        folders.set(id, folder);
        if (parsed.loc.kind === 'checkpoint') maxEpoch = Math.max(maxEpoch, parsed.loc.epoch);
      }
    }
    const complete: Manifest[] = [];
    const incomplete: EpochLocation[] = [];
    const withManifest = [...folders.values()].filter((f) => f.manifest);
    const manifests = await Promise.all(withManifest.map((f) => this.readManifest(f.loc)));
    for (const [i, f] of withManifest.entries()) {
      const m = manifests[i];
      if (m === undefined)
        incomplete.push(f.loc); // deleted while we listed
      else complete.push(m);
    }
    for (const f of folders.values()) if (!f.manifest) incomplete.push(f.loc);
    for (const m of complete) maxEpoch = Math.max(maxEpoch, m.epoch);
    complete.sort((a, b) => a.epoch - b.epoch || a.completedAt.localeCompare(b.completedAt));
    return { complete, incomplete, maxEpoch };
  }

  /** Complete epochs (checkpoints and savepoints), oldest first. */
  async listComplete(): Promise<Manifest[]> {
    return (await this.listEpochs()).complete;
  }

  /** The newest complete epoch, checkpoint or savepoint (what a restore starts from). */
  async newestComplete(): Promise<Manifest | undefined> {
    return (await this.listComplete()).at(-1);
  }

  /**
   * Finds a complete epoch by what an operator types: "12" or "epoch-12" for a checkpoint,
   * anything else is a savepoint name.
   */
  async findComplete(from: string): Promise<Manifest> {
    const m = /^(?:epoch-)?(\d+)$/.exec(from);
    const loc: EpochLocation = m
      ? { kind: 'checkpoint', epoch: Number(m[1]) }
      : { kind: 'savepoint', name: checkName('savepoint name', from) };
    const manifest = await this.readManifest(loc);
    if (manifest === undefined) {
      throw new CheckpointStorageError(
        `${describeLocation(loc)} is not a complete epoch in s3://${this.bucket}/${this.prefix} ` +
          '(no manifest); list them with `iotctl epochs`',
      );
    }
    return manifest;
  }

  /**
   * Deletes every object of an epoch, the manifest first: the epoch stops existing in one
   * step and never looks complete with parts missing. Returns the objects deleted.
   */
  async deleteEpoch(loc: EpochLocation): Promise<number> {
    const dir = this.prefix + epochDir(loc);
    const manifestKey = dir + MANIFEST_FILE;
    await this.delete(manifestKey);
    const all = (await this.listKeys(dir)).filter((k) => k !== manifestKey);
    const keys = all.filter((k) => !k.endsWith('/'));
    for (let i = 0; i < keys.length; i += this.deleteConcurrency) {
      await Promise.all(keys.slice(i, i + this.deleteConcurrency).map((k) => this.delete(k)));
    }
    // Folder markers (filesystem-backed servers list them), deepest first, once emptied.
    const markers = all.filter((k) => k.endsWith('/')).sort((a, b) => b.length - a.length);
    for (const marker of markers) await this.delete(marker).catch(() => undefined);
    return keys.length + 1;
  }

  /**
   * Keeps checkpoint `epoch` from retention until `unpinEpoch` or for `ttlMs` (so a pin of a
   * crashed restore does not last forever). `by` says who pinned it, for an operator.
   */
  async pinEpoch(epoch: number, ttlMs: number, by: string): Promise<void> {
    const until = new Date(Date.now() + ttlMs).toISOString();
    const body = Buffer.from(JSON.stringify({ epoch, until, by }));
    await this.put(this.prefix + pinPath(epoch), body, 'application/json');
  }

  async unpinEpoch(epoch: number): Promise<void> {
    await this.delete(this.prefix + pinPath(epoch));
  }

  /** Checkpoint epochs pinned now (pins past their time do not count). */
  async pinnedEpochs(now = Date.now()): Promise<Set<number>> {
    const pinned = new Set<number>();
    for (const key of await this.listKeys(this.prefix + 'pins/')) {
      const epoch = parsePinKey(key.slice(this.prefix.length));
      if (epoch === undefined) continue;
      const body = await this.get(key);
      if (body === undefined) continue; // unpinned while we listed
      let until = Number.NaN;
      try {
        until = Date.parse(String((JSON.parse(body.toString()) as { until?: unknown }).until));
      } catch {
        // An unreadable pin keeps its epoch: deleting a checkpoint is the mistake to avoid.
      }
      if (Number.isNaN(until) || until > now) pinned.add(epoch);
    }
    return pinned;
  }

  /**
   * Keeps the newest `keep` complete checkpoints, every savepoint and every pinned epoch;
   * deletes older checkpoints and manifest-less checkpoint folders numbered below
   * `sweepBelow` (pass the epoch in progress, or omit to sweep none).
   */
  async applyRetention(
    keep: number,
    sweepBelow = -1,
  ): Promise<{ expired: number[]; swept: number[] }> {
    const listing = await this.listEpochs();
    // Pins read after the listing: a pin written before it is seen.
    const pinned = await this.pinnedEpochs();
    const { expire, sweep } = selectExpired(
      listing.complete,
      listing.incomplete,
      keep,
      sweepBelow,
      pinned,
    );
    for (const epoch of [...expire, ...sweep])
      await this.deleteEpoch({ kind: 'checkpoint', epoch });
    return { expired: expire, swept: sweep };
  }

  // ── S3 calls ───────────────────────────────────────────────────────────────────────────

  private async put(key: string, body: Buffer, contentType: string): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
        }),
      );
    } catch (err) {
      throw this.wrap('writing', key, err);
    }
  }

  private async get(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (res.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.wrap('reading', key, err);
    }
  }

  private async delete(key: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw this.wrap('deleting', key, err);
    }
  }

  private async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      try {
        const res = await this.s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
        for (const o of res.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } catch (err) {
        throw this.wrap('listing', prefix, err);
      }
    } while (token !== undefined);
    return keys;
  }

  private wrap(doing: string, key: string, err: unknown): CheckpointStorageError {
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return new CheckpointStorageError(`${doing} s3://${this.bucket}/${key} failed: ${reason}`, {
      cause: err,
    });
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
const UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'ServiceUnavailable',
  'SlowDown',
  'InternalError',
]);

/**
 * Whether a storage failure is the server being away (unreachable, timing out, a 5xx) rather
 * than a refusal that waiting cannot fix (a wrong key, a missing bucket, no permission).
 * Looks through `cause`: the store wraps the SDK's error.
 */
export function isStorageUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    if (typeof e !== 'object' || e === null) return false;
    const x = e as {
      name?: unknown;
      code?: unknown;
      $metadata?: { httpStatusCode?: unknown };
      cause?: unknown;
    };
    if (typeof x.code === 'string' && UNREACHABLE_CODES.has(x.code)) return true;
    if (typeof x.name === 'string' && UNAVAILABLE_NAMES.has(x.name)) return true;
    const status = x.$metadata?.httpStatusCode;
    if (typeof status === 'number') return status >= 500;
    e = x.cause;
  }
  return false;
}

function isNotFound(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
