// A snapshot read back from S3 is outside input. One whose bytes match its manifest (written
// by a buggy or hostile writer) but are not a valid snapshot, partly valid or a gzip bomb,
// is reported as corrupt with its S3 key, and nothing of it reaches Redis: the partition's
// state is what it was (real S3 server and Redis).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import {
  CheckpointStore,
  createS3Client,
  sha256Hex,
  SnapshotFormatError,
} from '@iot/checkpoint-storage';
import { restorePartition } from '@iot/control-plane';
import { PartitionState } from '@iot/state';
import { auth, stack, uniqueName } from '../support/stack.ts';

const s3 = createS3Client({
  endpoint: stack.s3Endpoint,
  region: stack.s3Region,
  accessKeyId: stack.s3AccessKey,
  secretAccessKey: stack.s3SecretKey,
  forcePathStyle: true,
});
const redis = new Redis(stack.redisUrl, auth.redis);
const namespace = uniqueName('corrupt-snapshot');
const store = new CheckpointStore({ s3, bucket: stack.s3Bucket, prefix: namespace });
after(async () => {
  const listing = await store.listEpochs();
  for (const m of listing.complete) await store.deleteEpoch({ kind: 'checkpoint', epoch: m.epoch });
  const keys = await redis.keys(`${namespace}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  s3.destroy();
});

const bodies: [string, Buffer][] = [
  // The entries are fine, `pending` is not: a decoder that applied as it went would half-apply.
  [
    'partly valid',
    gzipSync(JSON.stringify({ v: 1, entries: [['w|a', 'x']], meta: [], pending: [1] })),
  ],
  ['not gzip', Buffer.from('{"v":1,"entries":[],"meta":[],"pending":[]}')],
  ['a gzip bomb (300 MiB of spaces)', gzipSync(Buffer.alloc(300 * 1024 * 1024, 0x20))],
];

for (const [i, [what, body]] of bodies.entries()) {
  test(`a snapshot that matches its manifest but is ${what}: reported as corrupt, Redis untouched`, async () => {
    const state = new PartitionState(redis, 'aggregator', i, namespace);
    await state.acquire();
    await state.commit({ upserts: new Map([['w|before', 'kept']]), meta: new Map([['p', '1:2']]) });
    const before = await state.read();

    const epoch = i + 1;
    const part = await store.putSnapshot({ kind: 'checkpoint', epoch }, 'aggregator', i, {
      entries: new Map(),
      meta: new Map(),
      pending: [],
    });
    await s3.send(new PutObjectCommand({ Bucket: stack.s3Bucket, Key: part.key, Body: body }));
    await store.writeManifest({
      epoch,
      startedAt: new Date().toISOString(),
      completedAt: new Date().toISOString(),
      kind: 'checkpoint',
      parts: [{ ...part, bytes: body.length, sha256: sha256Hex(body) }],
    });

    await assert.rejects(
      restorePartition({ store, state, service: 'aggregator', partition: i }),
      (err: unknown) =>
        err instanceof SnapshotFormatError &&
        err.message.includes(part.key) &&
        /not a partition snapshot/.test(err.message),
    );
    assert.deepEqual(await state.read(), before);
  });
}
