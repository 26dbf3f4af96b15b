export {
  CheckpointStorageError,
  CheckpointStore,
  isStorageUnavailable,
  type CheckpointStoreOptions,
  type EpochListing,
} from './checkpoint-store.ts';
export {
  MANIFEST_FILE,
  checkName,
  describeLocation,
  epochDir,
  normalizePrefix,
  parseEpochKey,
  partPath,
  sameLocation,
  type EpochLocation,
} from './layout.ts';
export {
  ManifestFormatError,
  manifestLocation,
  parseManifest,
  selectExpired,
  totalBytes,
  type Manifest,
  type ManifestPart,
} from './manifest.ts';
export {
  MAX_SNAPSHOT_BYTES,
  SnapshotFormatError,
  decodeSnapshot,
  encodeSnapshot,
  sha256Hex,
  type SnapshotInfo,
  type StoredSnapshot,
} from './snapshot-codec.ts';
export { createS3Client, type S3Settings } from './s3-client.ts';
