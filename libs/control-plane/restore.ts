// Restore of one partition from checkpoint storage (docs/architecture.md, "Checkpoints"): used by an owner whose
// Redis state is missing (after `acquire()` found nothing), and by iotctl. The caller then
// seeks its subscription to the positions in the restored meta.
import type { CheckpointStore, Manifest, ManifestPart } from '@iot/checkpoint-storage';
import type { PartitionSnapshot, PartitionState } from '@iot/state';

export interface RestoredPartition {
  manifest: Manifest;
  part: ManifestPart;
  snapshot: PartitionSnapshot;
}

/**
 * Finds the snapshot of (service, partition): in the epoch named by `from` ("12", "epoch-12"
 * or a savepoint name), else in the newest complete epoch that has it. Undefined when no
 * complete epoch holds this partition (a new partition: start empty).
 */
export async function findPartitionSnapshot(
  store: CheckpointStore,
  service: string,
  partition: number,
  from?: string,
): Promise<RestoredPartition | undefined> {
  const candidates =
    from === undefined ? (await store.listComplete()).reverse() : [await store.findComplete(from)];
  for (const manifest of candidates) {
    const part = manifest.parts.find((p) => p.service === service && p.partition === partition);
    if (part === undefined) continue;
    const { snapshot } = await store.getSnapshot(part);
    return { manifest, part, snapshot };
  }
  return undefined;
}

/**
 * Writes the stored snapshot into Redis with `state.replace()` (the state must be acquired:
 * the write is fenced by its owner epoch). Returns what was restored, or undefined.
 */
export async function restorePartition(opts: {
  store: CheckpointStore;
  state: PartitionState;
  service: string;
  partition: number;
  from?: string;
}): Promise<RestoredPartition | undefined> {
  const found = await findPartitionSnapshot(opts.store, opts.service, opts.partition, opts.from);
  if (found !== undefined) await opts.state.replace(found.snapshot);
  return found;
}
