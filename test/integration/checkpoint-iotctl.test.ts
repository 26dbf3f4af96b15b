// iotctl as a process against the real NATS, S3 and Redis: epochs, status, suspend/resume
// acks, restore of an epoch by running owners (over NATS) and into Redis (nothing running),
// and one clear line naming the server when one is unreachable.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import { CheckpointStore, createS3Client } from '@iot/checkpoint-storage';
import { CheckpointParticipant, restorePartition, subjects } from '@iot/control-plane';
import { runIotctl } from '@iot/harness';
import { PartitionState } from '@iot/state';
import { envAs, auth, stack, uniqueName } from '../support/stack.ts';

const id = uniqueName('ctl').replaceAll('-', '_');
const env = {
  ...process.env,
  ...envAs('operator'),
  NATS_URL: stack.natsUrl,
  REDIS_URL: stack.redisUrl,
  S3_ENDPOINT: stack.s3Endpoint,
  S3_BUCKET: stack.s3Bucket,
  CONTROL_SUBJECT_PREFIX: `t_${id}`,
  CHECKPOINT_S3_PREFIX: id,
  STATE_NAMESPACE: id,
};
const s3 = createS3Client({
  endpoint: stack.s3Endpoint,
  region: stack.s3Region,
  accessKeyId: stack.s3AccessKey,
  secretAccessKey: stack.s3SecretKey,
  forcePathStyle: true,
});
const store = new CheckpointStore({ s3, bucket: stack.s3Bucket, prefix: id });
const redis = new Redis(stack.redisUrl, auth.redis);
let nc: NatsConnection;

const iotctl = (args: string[], extra: Record<string, string> = {}) =>
  runIotctl({ ...env, ...extra }, args, 30_000);

const snapshot = (n: number) => ({
  entries: new Map([[`sensor_${n}|0`, `{"count":${n}}`]]),
  meta: new Map([['pos:0', `${n}:0:-1:-1`]]),
  pending: [`out-${n}`],
});

before(async () => {
  nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  for (const epoch of [1, 2]) {
    const loc = { kind: 'checkpoint' as const, epoch };
    const parts = [
      await store.putSnapshot(loc, 'aggregator', 0, snapshot(epoch * 10)),
      await store.putSnapshot(loc, 'aggregator', 1, snapshot(epoch * 10 + 1)),
    ];
    const now = new Date().toISOString();
    await store.writeManifest({
      epoch,
      startedAt: now,
      completedAt: now,
      kind: 'checkpoint',
      parts,
    });
  }
});

after(async () => {
  for (const epoch of [1, 2]) await store.deleteEpoch({ kind: 'checkpoint', epoch });
  const keys = await redis.keys(`${id}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await nc.close();
  s3.destroy();
});

test('epochs lists the complete epochs', async () => {
  const r = await iotctl(['epochs']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^epoch 1 .* 2 parts .* bytes\nepoch 2 /m);
  const json = JSON.parse((await iotctl(['epochs', '--json'])).stdout) as { epoch: number }[];
  assert.deepEqual(
    json.map((m) => m.epoch),
    [1, 2],
  );
});

test('status, suspend and resume answer per instance; a suspend that cannot park fails', async () => {
  const owner = new CheckpointParticipant({
    nc,
    subjects: subjects(env.CONTROL_SUBJECT_PREFIX),
    store,
    service: 'aggregator',
    instance: 'agg-1',
    suspendWaitMs: 1000,
  });
  owner.partition(0, { snapshot: async () => snapshot(0) });
  try {
    const status = await iotctl(['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /aggregator\s+agg-1\s+partitions \[0\]/);
    assert.match(status.stdout, /newest complete: epoch 2/);

    const suspend = await iotctl(['suspend']);
    assert.equal(suspend.code, 1, 'the fake owner never reaches a boundary: no ok ack');
    assert.match(
      suspend.stdout + suspend.stderr,
      /aggregator\/agg-1: FAILED: partition\(s\) 0 did not reach/,
    );
    const resume = await iotctl(['resume']);
    assert.equal(resume.code, 0, resume.stderr);
    assert.match(resume.stdout, /aggregator\/agg-1: ok/);
  } finally {
    await owner.close();
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A participant owning `partitions`, whose loops pass a boundary every 20 ms. `beforeRestore`
 * runs in each restore before the snapshot is read.
 */
function liveOwner(instance: string, partitions: number[], beforeRestore?: () => Promise<void>) {
  const owner = new CheckpointParticipant({
    nc,
    subjects: subjects(env.CONTROL_SUBJECT_PREFIX),
    store,
    service: 'aggregator',
    instance,
    suspendWaitMs: 3000,
  });
  const states = new Map(
    partitions.map((p) => [p, new PartitionState(redis, 'aggregator', p, id)]),
  );
  let running = true;
  const loops = [...states].map(async ([p, state]) => {
    const handle = owner.partition(p, {
      snapshot: () => state.read(),
      restore: async (from) => {
        await beforeRestore?.();
        await restorePartition({ store, state, service: 'aggregator', partition: p, from });
      },
    });
    while (running) {
      await handle.atBoundary();
      await sleep(20);
    }
  });
  return {
    owner,
    states,
    stop: async () => {
      running = false;
      await owner.close();
      await Promise.all(loops);
    },
  };
}

test('restore --from with owners running: each restores at a boundary, then all resume', async () => {
  const { owner, states, stop } = liveOwner('agg-live', [0, 1]);
  try {
    for (const state of states.values()) {
      await state.acquire();
      await state.commit({ upserts: new Map([['junk', '1']]) });
    }
    const r = await iotctl(['restore', '--from', 'epoch-1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /aggregator\/agg-live: restored {2}partitions \[0,1\]/);
    assert.match(
      r.stdout,
      /restored epoch 1 \(epoch 1, 2 parts\) into the running pipeline; resumed/,
    );
    for (const [p, state] of states) assert.deepEqual(await state.read(), snapshot(10 + p));
    assert.equal(owner.suspended, false, 'resumed');
    // The owner still holds its partitions: the restore went through its own epoch.
    await states.get(0)?.commit({ upserts: new Map([['after', '1']]) });
  } finally {
    await stop();
  }
});

test('the epoch being restored is pinned: retention running meanwhile keeps it; unpinned after', async () => {
  // Retention as the checkpointer runs it, keeping only the newest epoch (2), fired while the
  // owners restore epoch 1: without the pin it would delete epoch 1 under them.
  const pinnedDuring: number[][] = [];
  const { states, stop } = liveOwner('agg-pin', [0, 1], async () => {
    pinnedDuring.push([...(await store.pinnedEpochs())]);
    await store.applyRetention(1);
  });
  try {
    for (const state of states.values()) await state.acquire();
    const r = await iotctl(['restore', '--from', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(pinnedDuring, [[1], [1]]);
    assert.ok(await store.readManifest({ kind: 'checkpoint', epoch: 1 }), 'epoch 1 kept');
    assert.deepEqual([...(await store.pinnedEpochs())], [], 'pin removed after the restore');
  } finally {
    await stop();
  }
});

test('restore with a partition of the epoch not owned by a running instance: fails, stays suspended', async () => {
  const { owner, states, stop } = liveOwner('agg-half', [0]);
  try {
    await states.get(0)?.acquire();
    const r = await iotctl(['restore', '--from', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /restore of epoch 2 incomplete \(not restored: aggregator\/1: /);
    assert.match(r.stderr, /left suspended/);
    assert.equal(owner.suspended, true);
    const resume = await iotctl(['resume']);
    assert.equal(resume.code, 0, resume.stderr);
    assert.equal(owner.suspended, false);
  } finally {
    await stop();
  }
});

test('restore --from with nothing running writes every part into Redis, fencing old owners', async () => {
  // Redis holds something else (a live owner's state) before the restore.
  const live = new PartitionState(redis, 'aggregator', 0, id);
  await live.acquire();
  await live.commit({ upserts: new Map([['junk', '1']]) });

  const r = await iotctl(['restore', '--from', 'epoch-1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /aggregator\/0: restored 1 entries, 1 meta, 1 pending/);
  assert.match(r.stdout, /no service was running: start them/);
  for (const p of [0, 1]) {
    const state = new PartitionState(redis, 'aggregator', p, id);
    assert.deepEqual(await state.read(), snapshot(10 + p));
  }
  // The earlier owner is fenced by the restore.
  await assert.rejects(live.commit({ upserts: new Map([['x', '1']]) }), { name: 'FencedError' });

  const missing = await iotctl(['restore', '--from', '99']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /epoch 99 is not a complete epoch/);
});

test('an unreachable server is named in one line, exit 1', async () => {
  const noNats = await iotctl(['status'], { NATS_URL: 'nats://127.0.0.1:1' });
  assert.equal(noNats.code, 1);
  assert.match(
    noNats.stderr,
    /^iotctl status: cannot reach NATS at nats:\/\/127\.0\.0\.1:1: .*set NATS_URL\)\n$/,
  );
  const noS3 = await iotctl(['epochs'], { S3_ENDPOINT: 'http://127.0.0.1:9' });
  assert.equal(noS3.code, 1);
  assert.match(noS3.stderr, /cannot reach S3 at http:\/\/127\.0\.0\.1:9 .*set S3_ENDPOINT\)/);
  const noRedis = await iotctl(['restore', '--from', '1'], { REDIS_URL: 'redis://127.0.0.1:1' });
  assert.equal(noRedis.code, 1);
  assert.match(noRedis.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  const noLeader = await iotctl(['savepoint', '--name', 'x', '--timeout', '3s']);
  assert.equal(noLeader.code, 1);
  assert.match(noLeader.stderr, /no checkpointer leader answers/);
  const usage = await iotctl(['restore']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /restore needs --from/);
});
