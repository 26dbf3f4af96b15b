// The checkpointer service as processes, against the real NATS, S3 and Pulsar admin: one of
// two replicas leads, epochs complete with the manifest last, retention keeps the last K and
// every savepoint, an epoch with a silent owner is abandoned and cleaned up, killing the
// leader hands over to the standby, Pulsar retention of its topics is raised at start (or start
// refused).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection } from 'nats';
import { CheckpointStore, createS3Client } from '@iot/checkpoint-storage';
import {
  CheckpointParticipant,
  ControlClient,
  subjects,
  type PartitionCheckpoint,
} from '@iot/control-plane';
import { spawnService, type ServiceProcess } from '@iot/observability/testing';
import { PulsarAdmin, type RetentionPolicy } from '@iot/pulsar';
import { envAs, auth, stack, uniqueName } from '../support/stack.ts';

const main = new URL('../../services/checkpointer/src/main.ts', import.meta.url);
const namespace = 'public/iot-checkpointer-test';
const id = uniqueName('cps').replaceAll('-', '_');
const prefix = `t_${id}`;
const subj = subjects(prefix);
const topic = `persistent://${namespace}/${id}-data`;
const env = {
  HTTP_PORT: '0',
  ...envAs('services'),
  PULSAR_ADMIN_URL: stack.pulsarAdminUrl,
  PULSAR_TOPIC: topic,
  RECORDS_TOPIC: `persistent://${namespace}/${id}-records`,
  NATS_URL: stack.natsUrl,
  S3_ENDPOINT: stack.s3Endpoint,
  S3_BUCKET: stack.s3Bucket,
  CHECKPOINT_S3_PREFIX: prefix,
  CHECKPOINT_INTERVAL: '1s',
  CHECKPOINT_TIMEOUT: '1s',
  CHECKPOINT_RETAIN: '2',
  CHECKPOINT_LEASE_TTL: '2s',
  CHECKPOINT_LEASE_BUCKET: `lease_${id}`,
  CONTROL_SUBJECT_PREFIX: prefix,
  HEARTBEAT_EXPIRY: '2s',
};

const admin = new PulsarAdmin({ ...auth.pulsar, adminUrl: stack.pulsarAdminUrl });
const s3 = createS3Client({
  endpoint: stack.s3Endpoint,
  region: stack.s3Region,
  accessKeyId: stack.s3AccessKey,
  secretAccessKey: stack.s3SecretKey,
  forcePathStyle: true,
});
const store = new CheckpointStore({ s3, bucket: stack.s3Bucket, prefix });
const procs: ServiceProcess[] = [];
let nc: NatsConnection;
let participant: CheckpointParticipant;
const loops: { running: boolean; done: Promise<void> }[] = [];
let handles: PartitionCheckpoint[] = [];
let namespaceRetention: RetentionPolicy | undefined;

before(async () => {
  const res = await fetch(`${stack.pulsarAdminUrl}/admin/v2/namespaces/${namespace}`, {
    method: 'PUT',
    headers: auth.pulsarHeaders,
  });
  assert.ok(res.ok || res.status === 409, `create namespace: HTTP ${res.status}`);
  namespaceRetention = await admin.getNamespaceRetention(namespace);
  await admin.createPartitionedTopic(topic, 2);
  // A short topic-level policy: the checkpointer must raise it (it overrides the namespace's).
  await admin.setTopicRetention(topic, { retentionTimeInMinutes: 0, retentionSizeInMB: 0 });
  await eventually(
    async () => (await admin.getTopicRetention(topic))?.retentionSizeInMB === 0,
    10_000,
  );
  nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  participant = new CheckpointParticipant({
    nc,
    subjects: subj,
    store,
    service: 'ingest',
    instance: 'ingest-test',
    heartbeatMs: 300,
  });
  handles = [0, 1].map((p) =>
    participant.partition(p, {
      snapshot: async () => ({
        entries: new Map([['p', String(p)]]),
        meta: new Map(),
        pending: [],
      }),
    }),
  );
  for (const h of handles) {
    const loop = { running: true, done: Promise.resolve() };
    loop.done = (async () => {
      while (loop.running) {
        await h.atBoundary();
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    loops.push(loop);
  }
});

after(async () => {
  for (const p of procs)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  for (const l of loops) l.running = false;
  await Promise.all(loops.map((l) => l.done));
  await participant.close();
  const kv = await nc.jetstream().views.kv(env.CHECKPOINT_LEASE_BUCKET);
  await kv.destroy().catch(() => undefined);
  await nc.close();
  const listing = await store.listEpochs();
  for (const m of listing.complete) {
    await store.deleteEpoch(
      m.kind === 'savepoint'
        ? { kind: 'savepoint', name: m.name ?? '' }
        : { kind: 'checkpoint', epoch: m.epoch },
    );
  }
  for (const loc of listing.incomplete) await store.deleteEpoch(loc);
  await admin.deletePartitionedTopic(topic).catch(() => undefined);
  s3.destroy();
});

async function eventually(
  cond: () => Promise<boolean> | boolean,
  ms: number,
  what = 'condition',
): Promise<number> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

const count = (p: ServiceProcess, msg: string) => p.lines.filter((l) => l.msg === msg).length;

test('refuses to start with a clear error when the broker refuses to set Pulsar retention', async () => {
  // A broker that answers but refuses (403): nothing to wait for, the operator must act. (An
  // admin API that cannot be reached is waited for: test/integration/service-readiness.test.ts.)
  const refusing = createServer((_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ reason: 'Not authorized' }));
  });
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
  try {
    const p = spawnService(main, { ...env, PULSAR_ADMIN_URL: url });
    const { code } = await p.exited;
    assert.equal(code, 1);
    const line = p.lines.find((l) => l.level === 'error');
    assert.match(
      String(line?.msg),
      /Cannot set Pulsar retention \(1 min\) on .* via PULSAR_ADMIN_URL=http:\/\/127\.0\.0\.1:\d+: .*HTTP 403: Not authorized/,
    );
  } finally {
    await new Promise((r) => refusing.close(r));
  }
});

test('two replicas: one leads, epochs complete, retention keeps the last K, Pulsar retention raised', async () => {
  procs.push(spawnService(main, env), spawnService(main, env));
  await Promise.all(procs.map((p) => p.waitForLine((l) => l.msg === 'checkpointing')));
  // More than 2 × 1 s × 2 → 1 minute, over the short topic policy; the namespace untouched.
  assert.deepEqual(await admin.getNamespaceRetention(namespace), namespaceRetention);
  await eventually(
    async () => (await admin.getTopicRetention(topic))?.retentionTimeInMinutes === 1,
    10_000,
    'topic retention',
  );

  await eventually(() => procs.some((p) => count(p, 'epoch complete') >= 4), 15_000, '4 epochs');
  const leaders = procs.filter((p) => count(p, 'elected checkpointer leader') > 0);
  assert.equal(leaders.length, 1, 'one leader');
  const listing = await store.listEpochs();
  const checkpoints = listing.complete.filter((m) => m.kind === 'checkpoint');
  assert.ok(
    checkpoints.length <= 3,
    `kept ${checkpoints.length} (K=2, +1 if one completed in between)`,
  );
  for (const m of checkpoints) {
    assert.deepEqual(
      m.parts.map((p) => `${p.service}/${p.partition}`),
      ['ingest/0', 'ingest/1'],
    );
    const snap = await store.getSnapshot(m.parts[1]!);
    assert.equal(snap.snapshot.entries.get('p'), '1');
  }
  const line = leaders[0]!.lines.find((l) => l.msg === 'epoch complete')!;
  assert.equal(line.parts, 2);
  assert.ok(typeof line.bytes === 'number' && typeof line.durationMs === 'number');

  const port = leaders[0]!.lines.find((l) => l.msg === 'started')?.port;
  const text = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
  assert.match(text, /^iot_checkpoint_epochs_total\{kind="checkpoint",result="complete"\} [1-9]/m);
  assert.match(text, /^iot_checkpoint_leader 1$/m);
  assert.match(
    text,
    /^iot_checkpoint_epoch_duration_seconds_count\{kind="checkpoint",result="complete"\} [1-9]/m,
  );
  const completedAt = Number(
    /^iot_checkpoint_last_complete_timestamp_seconds (\S+)$/m.exec(text)?.[1],
  );
  assert.ok(
    Math.abs(Date.now() / 1000 - completedAt) < 60,
    `last complete epoch at ${completedAt}`,
  );
  assert.match(text, /^iot_checkpoint_last_epoch_bytes [1-9]/m);
});

test('a savepoint on request; status shows the leader; savepoints survive retention', async () => {
  const client = new ControlClient(nc, subj);
  const sp = await client.savepoint({ name: 'by-hand' }, 10_000);
  assert.equal(sp.outcome, 'complete');
  assert.equal(sp.kind, 'savepoint');
  assert.equal(sp.parts, 2);
  await assert.rejects(client.savepoint({ name: 'by-hand' }, 10_000), /exists already/);
  const status = await client.status(800);
  assert.deepEqual(
    status
      .filter((s) => s.service === 'checkpointer')
      .map((s) => s.role)
      .sort(),
    ['leader', 'standby'],
  );
  const leader = procs.find((p) => count(p, 'elected checkpointer leader') > 0)!;
  const before = count(leader, 'epoch complete');
  await eventually(() => count(leader, 'epoch complete') >= before + 3, 10_000, '3 more epochs');
  assert.ok((await store.readManifest({ kind: 'savepoint', name: 'by-hand' })) !== undefined);
});

test('an owner that does not snapshot makes its epochs abandon, with nothing left in S3', async () => {
  // A partition whose loop never reaches a boundary (stuck): registered but never stepping.
  const stuck = participant.partition(7, {
    snapshot: async () => ({ entries: new Map(), meta: new Map(), pending: [] }),
  });
  const leader = procs.find((p) => count(p, 'elected checkpointer leader') > 0)!;
  await eventually(
    () =>
      leader.lines.some((l) => l.msg === 'epoch abandoned' && /ingest\/7/.test(String(l.reason))),
    10_000,
    'an abandoned epoch',
  );
  const abandoned = leader.lines.find((l) => l.msg === 'epoch abandoned')!;
  const epoch = Number(abandoned.epoch);
  assert.equal(await store.readManifest({ kind: 'checkpoint', epoch }), undefined);
  assert.ok(
    !(await store.listEpochs()).incomplete.some(
      (l) => l.kind === 'checkpoint' && l.epoch === epoch,
    ),
  );
  stuck.release();
  const after = count(leader, 'epoch complete');
  await eventually(
    () => count(leader, 'epoch complete') > after,
    10_000,
    'epochs to complete again',
  );
});

test('killing the leader: the standby takes over within the lease time and epochs go on', async () => {
  const leader = procs.find((p) => count(p, 'elected checkpointer leader') > 0)!;
  const standby = procs.find((p) => p !== leader)!;
  leader.child.kill('SIGKILL');
  await leader.exited;
  const took = await eventually(
    () => count(standby, 'elected checkpointer leader') > 0,
    8_000,
    'takeover',
  );
  assert.ok(took < 4500, `took over in ${took} ms (lease 2 s)`);
  await eventually(() => count(standby, 'epoch complete') >= 2, 10_000, 'epochs on the new leader');
  const epochs = standby.lines
    .filter((l) => l.msg === 'epoch complete')
    .map((l) => Number(l.epoch));
  const old = leader.lines.filter((l) => l.msg === 'epoch complete').map((l) => Number(l.epoch));
  assert.ok(Math.min(...epochs) > Math.max(...old), 'epoch numbers continue, never reused');

  standby.child.kill('SIGTERM');
  assert.equal((await standby.exited).code, 0);
});
