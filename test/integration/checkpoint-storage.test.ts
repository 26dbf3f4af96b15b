// Checkpoint storage against the real S3 server (S3Proxy): snapshots, manifests, listing,
// deletion and retention, each test below its own prefix.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CheckpointStore, createS3Client, type Manifest } from '@iot/checkpoint-storage';
import { stack, uniqueName } from '../support/stack.ts';

const s3 = createS3Client({
  endpoint: stack.s3Endpoint,
  region: stack.s3Region,
  accessKeyId: stack.s3AccessKey,
  secretAccessKey: stack.s3SecretKey,
  forcePathStyle: true,
});
const stores: CheckpointStore[] = [];
after(async () => {
  for (const store of stores) {
    const listing = await store.listEpochs();
    for (const m of listing.complete)
      await store.deleteEpoch(
        m.kind === 'savepoint'
          ? { kind: 'savepoint', name: m.name ?? '' }
          : { kind: 'checkpoint', epoch: m.epoch },
      );
    for (const loc of listing.incomplete) await store.deleteEpoch(loc);
  }
  s3.destroy();
});

function newStore(): CheckpointStore {
  const store = new CheckpointStore({
    s3,
    bucket: stack.s3Bucket,
    prefix: uniqueName('cp-storage'),
  });
  stores.push(store);
  return store;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: stack.s3Bucket, Prefix: prefix }));
  return (res.Contents ?? [])
    .map((o) => o.Key ?? '')
    .filter((k) => !k.endsWith('/')) // folder markers of S3Proxy's filesystem backend
    .sort();
}

function snapshotOf(n: number) {
  return {
    entries: new Map(
      Array.from(
        { length: n },
        (_, i) => [`sensor_${i}|60000`, `{"count":${i}}`] as [string, string],
      ),
    ),
    meta: new Map([['pos:0', `${n}:0:-1:-1`]]),
    pending: n % 2 === 0 ? [] : ['pending-output'],
  };
}

async function completeEpoch(
  store: CheckpointStore,
  epoch: number,
  kind: Manifest['kind'] = 'checkpoint',
  name?: string,
) {
  const loc = kind === 'checkpoint' ? { kind, epoch } : { kind, name: name ?? 'sp' };
  const parts = [
    await store.putSnapshot(loc, 'ingest', 0, snapshotOf(epoch)),
    await store.putSnapshot(loc, 'aggregator', 1, snapshotOf(epoch + 1), { ownerEpoch: 3 }),
  ];
  const manifest: Manifest = {
    epoch,
    startedAt: new Date().toISOString(),
    completedAt: new Date().toISOString(),
    kind,
    ...(name === undefined ? {} : { name }),
    parts,
  };
  await store.writeManifest(manifest);
  return manifest;
}

test('a snapshot is stored gzip-compressed at checkpoints/epoch-N/<service>/<partition> and read back', async () => {
  const store = newStore();
  const loc = { kind: 'checkpoint' as const, epoch: 5 };
  const snap = snapshotOf(500);
  const part = await store.putSnapshot(loc, 'aggregator', 3, snap, { ownerEpoch: 9, takenAt: 42 });
  assert.equal(part.key, `${store.prefix}checkpoints/epoch-5/aggregator/3`);
  assert.match(part.sha256, /^[0-9a-f]{64}$/);
  const raw = await s3.send(new GetObjectCommand({ Bucket: stack.s3Bucket, Key: part.key }));
  const bytes = Buffer.from(await raw.Body!.transformToByteArray());
  assert.equal(bytes.length, part.bytes);
  assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
  assert.ok(part.bytes < 500 * 20, `compressed: ${part.bytes} bytes`);

  const back = await store.getSnapshot(part);
  assert.deepEqual(back.snapshot, snap);
  assert.equal(back.ownerEpoch, 9);
  assert.equal(back.takenAt, 42);
});

test('a snapshot that does not match its manifest entry is refused', async () => {
  const store = newStore();
  const part = await store.putSnapshot(
    { kind: 'checkpoint', epoch: 1 },
    'ingest',
    0,
    snapshotOf(3),
  );
  await s3.send(new PutObjectCommand({ Bucket: stack.s3Bucket, Key: part.key, Body: 'tampered' }));
  await assert.rejects(store.getSnapshot(part), /does not match its manifest/);
  await assert.rejects(
    store.getSnapshot({ ...part, key: `${store.prefix}checkpoints/epoch-1/ingest/9` }),
    /snapshot missing/,
  );
});

test('only epochs with a manifest are complete; newest, find and listing', async () => {
  const store = newStore();
  assert.equal(await store.newestComplete(), undefined);
  assert.equal((await store.listEpochs()).maxEpoch, -1);
  const m1 = await completeEpoch(store, 1);
  const m2 = await completeEpoch(store, 2);
  // Epoch 3: parts uploaded, no manifest (in progress or abandoned) → does not exist.
  await store.putSnapshot({ kind: 'checkpoint', epoch: 3 }, 'ingest', 0, snapshotOf(1));

  const listing = await store.listEpochs();
  assert.deepEqual(listing.complete, [m1, m2]);
  assert.deepEqual(listing.incomplete, [{ kind: 'checkpoint', epoch: 3 }]);
  assert.equal(listing.maxEpoch, 3);
  assert.deepEqual(await store.newestComplete(), m2);
  assert.deepEqual(await store.readManifest({ kind: 'checkpoint', epoch: 2 }), m2);
  assert.equal(await store.readManifest({ kind: 'checkpoint', epoch: 3 }), undefined);
  assert.deepEqual(await store.findComplete('epoch-1'), m1);
  assert.deepEqual(await store.findComplete('2'), m2);
  await assert.rejects(
    store.findComplete('3'),
    /epoch 3 is not a complete epoch .* \(no manifest\)/,
  );
  await assert.rejects(store.findComplete('nosuch'), /savepoint "nosuch" is not a complete epoch/);

  // A savepoint with a higher epoch number is the newest complete epoch.
  const sp = await completeEpoch(store, 4, 'savepoint', 'before-upgrade');
  assert.deepEqual(await store.newestComplete(), sp);
  assert.deepEqual(await store.findComplete('before-upgrade'), sp);
  assert.ok(
    (await keysUnder(`${store.prefix}savepoints/before-upgrade/`)).includes(
      `${store.prefix}savepoints/before-upgrade/_manifest.json`,
    ),
  );
});

test('deleteEpoch removes the manifest and every part', async () => {
  const store = newStore();
  await completeEpoch(store, 7);
  const dir = `${store.prefix}checkpoints/epoch-7/`;
  assert.equal((await keysUnder(dir)).length, 3);
  assert.equal(await store.deleteEpoch({ kind: 'checkpoint', epoch: 7 }), 3);
  assert.deepEqual(await keysUnder(dir), []);
  assert.equal(await store.newestComplete(), undefined);
});

test('retention keeps the last K checkpoints and all savepoints, sweeps abandoned folders below the current epoch', async () => {
  const store = newStore();
  await completeEpoch(store, 0, 'savepoint', 'keep-me');
  for (let e = 1; e <= 7; e++) await completeEpoch(store, e);
  await store.putSnapshot({ kind: 'checkpoint', epoch: 4 }, 'straggler', 0, snapshotOf(1)); // part of complete 4
  await store.putSnapshot({ kind: 'checkpoint', epoch: 8 }, 'ingest', 0, snapshotOf(1)); // abandoned
  await store.putSnapshot({ kind: 'checkpoint', epoch: 9 }, 'ingest', 0, snapshotOf(1)); // in progress

  const result = await store.applyRetention(5, 9);
  assert.deepEqual(result, { expired: [1, 2], swept: [8] });
  const listing = await store.listEpochs();
  assert.deepEqual(
    listing.complete.map((m) => `${m.kind}:${m.epoch}`),
    ['savepoint:0', 'checkpoint:3', 'checkpoint:4', 'checkpoint:5', 'checkpoint:6', 'checkpoint:7'],
  );
  assert.deepEqual(listing.incomplete, [{ kind: 'checkpoint', epoch: 9 }]);
  assert.deepEqual(await keysUnder(`${store.prefix}checkpoints/epoch-1/`), []);
  assert.deepEqual(await keysUnder(`${store.prefix}checkpoints/epoch-8/`), []);
});

test('a pinned epoch survives retention until unpinned; a pin past its time does not keep it', async () => {
  const store = newStore();
  for (let e = 1; e <= 4; e++) await completeEpoch(store, e);
  await store.pinEpoch(1, 60_000, 'test restore');
  await store.pinEpoch(2, -1, 'a crashed restore'); // already past its time
  assert.deepEqual([...(await store.pinnedEpochs())], [1]);
  assert.deepEqual(await store.applyRetention(2), { expired: [2], swept: [] });
  assert.ok(await store.readManifest({ kind: 'checkpoint', epoch: 1 }), 'pinned epoch kept');
  await store.unpinEpoch(1);
  assert.deepEqual(await store.applyRetention(2), { expired: [1], swept: [] });
});

test('prefixes isolate stores in one bucket', async () => {
  const a = newStore();
  const b = newStore();
  await completeEpoch(a, 1);
  assert.equal(await b.newestComplete(), undefined);
});
