// Epochs over the real NATS with snapshots in the real S3: participants heartbeat their
// partitions, a trigger gets a report from each and completes, a missing participant makes
// the epoch abandon at the deadline, suspend parks every loop at a boundary until resume.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';
import { CheckpointStore, createS3Client } from '@iot/checkpoint-storage';
import {
  CheckpointParticipant,
  ControlClient,
  EpochCoordinator,
  MembershipWatcher,
  subjects,
  type PartitionCheckpoint,
} from '@iot/control-plane';
import { auth, stack, uniqueName } from '../support/stack.ts';

const s3 = createS3Client({
  endpoint: stack.s3Endpoint,
  region: stack.s3Region,
  accessKeyId: stack.s3AccessKey,
  secretAccessKey: stack.s3SecretKey,
  forcePathStyle: true,
});
const store = new CheckpointStore({ s3, bucket: stack.s3Bucket, prefix: uniqueName('cp-epoch') });
const subj = subjects(`t_${uniqueName('cp').replaceAll('-', '_')}`);

/** A fake partition loop: each micro-batch bumps a counter; the snapshot is the counter. */
class Loop {
  batches = 0;
  private running = true;
  readonly done: Promise<void>;
  constructor(readonly handle: PartitionCheckpoint) {
    this.done = (async () => {
      while (this.running) {
        await handle.atBoundary();
        if (!this.running) break;
        await new Promise((r) => setTimeout(r, 5));
        this.batches++;
      }
    })();
  }
  async stop(): Promise<void> {
    this.running = false;
    this.handle.release();
    await this.done;
  }
}

interface Instance {
  nc: NatsConnection;
  participant: CheckpointParticipant;
  loops: Loop[];
}

async function instance(service: string, name: string, partitions: number[]): Promise<Instance> {
  const nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  const participant = new CheckpointParticipant({
    nc,
    subjects: subj,
    store,
    service,
    instance: name,
    heartbeatMs: 300,
    suspendWaitMs: 3000,
  });
  const loops: Loop[] = [];
  for (const p of partitions) {
    const loop: Loop = new Loop(
      participant.partition(p, {
        snapshot: async () => ({
          entries: new Map([['batches', String(loop.batches)]]),
          meta: new Map([['partition', String(p)]]),
          pending: [],
        }),
        ownerEpoch: () => 7,
        lag: () => 0,
      }),
    );
    loops.push(loop);
  }
  return { nc, participant, loops };
}

let control: NatsConnection;
let watcher: MembershipWatcher;
let coordinator: EpochCoordinator;
let instances: Instance[] = [];

before(async () => {
  control = await connect({ ...auth.nats, servers: stack.natsUrl });
  watcher = new MembershipWatcher(control, subj, { expiryMs: 1000 });
  coordinator = new EpochCoordinator(control, subj);
  instances = [
    await instance('ingest', 'ingest-a', [0]),
    await instance('ingest', 'ingest-b', [1]),
    await instance('aggregator', 'aggregator-a', [0, 1]),
  ];
  await waitFor(() => watcher.membership.participants(Date.now()).length === 4, 3000, 'membership');
});

after(async () => {
  for (const i of instances) {
    for (const l of i.loops) await l.stop();
    await i.participant.close();
    if (!i.nc.isClosed()) await i.nc.close();
  }
  watcher.close();
  await control.close();
  for (const m of await store.listComplete()) {
    await store.deleteEpoch(
      m.kind === 'savepoint'
        ? { kind: 'savepoint', name: m.name ?? '' }
        : { kind: 'checkpoint', epoch: m.epoch },
    );
  }
  for (const loc of (await store.listEpochs()).incomplete) await store.deleteEpoch(loc);
  s3.destroy();
});

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('membership lists every owned partition from heartbeats', () => {
  assert.deepEqual(watcher.membership.participants(Date.now()), [
    { service: 'aggregator', partition: 0 },
    { service: 'aggregator', partition: 1 },
    { service: 'ingest', partition: 0 },
    { service: 'ingest', partition: 1 },
  ]);
});

test('a trigger gets a report from every partition, snapshots in S3, and completes', async () => {
  const before = instances.flatMap((i) => i.loops.map((l) => l.batches));
  const result = await coordinator.run({
    epoch: 1,
    kind: 'checkpoint',
    expected: watcher.membership.participants(Date.now()),
    timeoutMs: 5000,
  });
  assert.equal(result.status, 'complete', JSON.stringify(result));
  assert.ok(result.durationMs < 2000, `took ${result.durationMs} ms`);
  assert.deepEqual(
    result.parts.map((p) => p.key),
    ['aggregator/0', 'aggregator/1', 'ingest/0', 'ingest/1'].map(
      (k) => `${store.prefix}checkpoints/epoch-1/${k}`,
    ),
  );
  await store.writeManifest({
    epoch: 1,
    kind: 'checkpoint',
    startedAt: result.startedAt,
    completedAt: result.completedAt,
    parts: result.parts,
  });
  const manifest = await store.newestComplete();
  assert.equal(manifest?.epoch, 1);
  // Every snapshot was taken at a boundary after the trigger: at least the batches seen before.
  const loops = instances.flatMap((i) => i.loops);
  for (const part of manifest!.parts) {
    const stored = await store.getSnapshot(part);
    assert.equal(stored.ownerEpoch, 7);
    assert.equal(stored.snapshot.meta.get('partition'), String(part.partition));
    assert.ok(Number(stored.snapshot.entries.get('batches')) >= 0);
  }
  assert.ok(loops.every((l, i) => l.batches >= (before[i] ?? 0)));
  coordinator.announce(result);
  await waitFor(() => instances.every((i) => i.participant.lastEpoch === 1), 2000, 'lastEpoch');
});

test('a missing participant makes the epoch abandon at the deadline', async () => {
  const expected = [
    ...watcher.membership.participants(Date.now()),
    { service: 'aggregator', partition: 9 },
  ];
  const started = Date.now();
  const result = await coordinator.run({ epoch: 2, kind: 'checkpoint', expected, timeoutMs: 1500 });
  const took = Date.now() - started;
  assert.equal(result.status, 'abandoned');
  assert.match(
    result.status === 'abandoned' ? result.reason : '',
    /timed out waiting for 1 partition\(s\): aggregator\/9/,
  );
  assert.deepEqual(result.status === 'abandoned' ? result.missing : [], [
    { service: 'aggregator', partition: 9 },
  ]);
  assert.ok(took >= 1500 && took < 2500, `abandoned after ${took} ms`);
  assert.equal(result.parts.length, 4, 'the others did report');
  // The caller cleans up: the abandoned epoch never becomes visible.
  await store.deleteEpoch({ kind: 'checkpoint', epoch: 2 });
  assert.equal((await store.newestComplete())?.epoch, 1);
  assert.equal(await store.readManifest({ kind: 'checkpoint', epoch: 2 }), undefined);
});

test('an aborted epoch (leadership lost) abandons at once', async () => {
  const ac = new AbortController();
  const running = coordinator.run({
    epoch: 3,
    kind: 'checkpoint',
    expected: [{ service: 'nobody', partition: 0 }],
    timeoutMs: 10_000,
    signal: ac.signal,
  });
  setTimeout(() => ac.abort('leadership lost'), 100);
  const result = await running;
  assert.equal(result.status, 'abandoned');
  assert.ok(result.durationMs < 1000);
});

test('status gets one reply per instance', async () => {
  const client = new ControlClient(control, subj);
  const status = await client.status(800);
  assert.deepEqual(
    status.map((s) => `${s.service}/${s.instance}:${s.partitions.join(',')}`),
    ['aggregator/aggregator-a:0,1', 'ingest/ingest-a:0', 'ingest/ingest-b:1'],
  );
  assert.ok(status.every((s) => s.lastEpoch === 1 && !s.suspended && s.lag !== undefined));
});

test('suspend parks every loop (acks from all instances), snapshots still work, resume continues', async () => {
  const client = new ControlClient(control, subj);
  const suspended = await client.suspend({ statusWindowMs: 800, timeoutMs: 5000 });
  assert.deepEqual(suspended.missing, []);
  assert.equal(suspended.acks.length, 3);
  assert.ok(
    suspended.acks.every((a) => a.ok && a.action === 'suspend'),
    JSON.stringify(suspended.acks),
  );
  const loops = instances.flatMap((i) => i.loops);
  const frozen = loops.map((l) => l.batches);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(
    loops.map((l) => l.batches),
    frozen,
    'no batch while suspended',
  );

  const savepoint = await coordinator.run({
    epoch: 4,
    kind: 'savepoint',
    name: 'while-suspended',
    expected: watcher.membership.participants(Date.now()),
    timeoutMs: 5000,
  });
  assert.equal(savepoint.status, 'complete');
  assert.ok(savepoint.parts.every((p) => p.key.includes('/savepoints/while-suspended/')));
  // Parked loops snapshot their frozen state.
  const agg0 = savepoint.parts.find((p) => p.service === 'aggregator' && p.partition === 0)!;
  const stored = await store.getSnapshot(agg0);
  assert.equal(stored.snapshot.entries.get('batches'), String(instances[2]!.loops[0]!.batches));

  const resumed = await client.resume({ statusWindowMs: 800 });
  assert.equal(resumed.acks.length, 3);
  await waitFor(
    () => loops.every((l, i) => l.batches > (frozen[i] ?? 0)),
    2000,
    'loops to continue',
  );
});

test('a crashed instance (no more heartbeats) leaves the membership after the expiry', async () => {
  const gone = instances.pop()!;
  await gone.nc.close(); // crash: its last heartbeat still lists its partitions
  const crashedAt = Date.now();
  assert.ok(watcher.membership.participants(Date.now()).some((p) => p.service === 'aggregator'));
  await waitFor(
    () => watcher.membership.participants(Date.now()).every((p) => p.service !== 'aggregator'),
    3000,
    'aggregator to expire',
  );
  assert.ok(Date.now() - crashedAt >= 600, 'kept until the expiry');
  for (const l of gone.loops) await l.stop();
  await gone.participant.close();
});
