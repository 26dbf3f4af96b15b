// Leader election on the real NATS JetStream KV: one leader among competing candidates,
// takeover within the lease time when the leader dies, at once when it resigns.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';
import { EpochCounter, LeaderElection } from '@iot/control-plane';
import { auth, stack, uniqueName } from '../support/stack.ts';

const buckets: string[] = [];
after(async () => {
  const nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  for (const b of buckets)
    await (await nc.jetstream().views.kv(b)).destroy().catch(() => undefined);
  await nc.close();
});

function bucketName(): string {
  const b = uniqueName('lease').replaceAll('-', '_');
  buckets.push(b);
  return b;
}

async function candidate(bucket: string, name: string, ttlMs: number) {
  const nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  const election = await LeaderElection.open(nc, {
    bucket,
    role: 'checkpointer',
    candidate: name,
    ttlMs,
  });
  const events: string[] = [];
  election.on('elected', () => events.push('elected'));
  election.on('lost', (e) => events.push(`lost: ${e.reason}`));
  return { nc, election, events, name };
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

async function closeAll(cs: { nc: NatsConnection; election: LeaderElection }[]) {
  for (const c of cs) {
    await c.election.close().catch(() => undefined);
    if (!c.nc.isClosed()) await c.nc.close();
  }
}

test('three candidates compete: exactly one leads, and keeps leading', async () => {
  const bucket = bucketName();
  const cs = await Promise.all(['a', 'b', 'c'].map((n) => candidate(bucket, n, 1500)));
  try {
    for (const c of cs) c.election.start();
    await waitFor(() => cs.some((c) => c.election.isLeader), 3000, 'a leader');
    // Over several lease periods, never two leaders and no change of leader.
    const leader = cs.find((c) => c.election.isLeader)!;
    for (let i = 0; i < 40; i++) {
      assert.equal(cs.filter((c) => c.election.isLeader).length, 1);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(leader.election.isLeader);
    assert.deepEqual(leader.events, ['elected']);
    assert.ok(await leader.election.confirm());
    for (const c of cs.filter((x) => x !== leader)) {
      assert.deepEqual(c.events, []);
      assert.equal(c.election.leader, leader.name, 'standbys see who leads');
    }
  } finally {
    await closeAll(cs);
  }
});

test('a leader that dies (connection gone, no resign) is replaced within the lease time', async () => {
  const bucket = bucketName();
  const ttlMs = 2000;
  const cs = await Promise.all(['a', 'b'].map((n) => candidate(bucket, n, ttlMs)));
  try {
    cs[0]!.election.start();
    await waitFor(() => cs[0]!.election.isLeader, 3000, 'a to lead');
    cs[1]!.election.start();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(cs[1]!.election.isLeader, false);

    // Crash: the connection disappears; the old leader cannot renew, steps down by itself.
    // (not events.once: that rejects on the 'error' events a disconnected candidate emits)
    const lost = new Promise((resolve) => cs[0]!.election.on('lost', resolve));
    await cs[0]!.nc.close();
    const took = await waitFor(() => cs[1]!.election.isLeader, ttlMs * 2 + 1000, 'b to take over');
    assert.ok(took <= ttlMs + 1000, `took over in ${took} ms`);
    assert.ok(took >= ttlMs - 700, `not before the lease could expire (${took} ms)`);
    await lost;
    assert.equal(cs[0]!.election.isLeader, false);
  } finally {
    await closeAll(cs);
  }
});

test('a leader that resigns (close) hands over at once', async () => {
  const bucket = bucketName();
  const cs = await Promise.all(['a', 'b'].map((n) => candidate(bucket, n, 5000)));
  try {
    cs[0]!.election.start();
    await waitFor(() => cs[0]!.election.isLeader, 3000, 'a to lead');
    cs[1]!.election.start();
    await new Promise((r) => setTimeout(r, 300));
    await cs[0]!.election.close();
    assert.deepEqual(cs[0]!.events, ['elected', 'lost: closed']);
    const took = await waitFor(() => cs[1]!.election.isLeader, 4000, 'b to take over');
    assert.ok(took < 2500, `took over in ${took} ms, well below the 5 s lease`);
  } finally {
    await closeAll(cs);
  }
});

test('a leader whose lease was taken steps down on its next renewal and confirm() says so', async () => {
  const bucket = bucketName();
  const c = await candidate(bucket, 'a', 1200);
  const nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  try {
    c.election.start();
    await waitFor(() => c.election.isLeader, 3000, 'a to lead');
    const kv = await nc.jetstream().views.kv(bucket);
    await kv.put('checkpointer', new TextEncoder().encode('{"holder":"intruder","renewedAt":0}'));
    assert.equal(await c.election.confirm(), false);
    await waitFor(() => !c.election.isLeader, 2000, 'a to step down');
    assert.match(c.events[1] ?? '', /lost: the lease was taken/);
  } finally {
    await closeAll([c]);
    await nc.close();
  }
});

test('confirm() during renewals: a leader that holds the lease is always confirmed', async () => {
  // A renewal in flight writes revision N+1 before the leader learns its number; a confirm()
  // read in between must not mistake the leader's own renewal for a lost lease.
  const bucket = bucketName();
  const nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  const election = await LeaderElection.open(nc, {
    bucket,
    role: 'checkpointer',
    candidate: 'a',
    ttlMs: 2000,
    renewMs: 20,
  });
  try {
    election.start();
    await waitFor(() => election.isLeader, 3000, 'a to lead');
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        new Promise((r) => setTimeout(r, i * 3)).then(() => election.confirm()),
      ),
    );
    assert.ok(election.isLeader);
    assert.equal(answers.filter((ok) => !ok).length, 0, 'no confirm() said the lease was lost');
  } finally {
    await election.close();
    await nc.close();
  }
});

test('epoch counter: concurrent next() calls never hand out a number twice', async () => {
  const bucket = bucketName();
  const nc = await connect({ ...auth.nats, servers: stack.natsUrl });
  try {
    const kv = await nc.jetstream().views.kv(bucket, { history: 1 });
    const a = new EpochCounter(kv);
    const b = new EpochCounter(kv);
    assert.equal(await a.current(), -1);
    assert.equal(await a.next(5), 5, 'seeded from S3');
    const got = await Promise.all([a.next(), b.next(), a.next(), b.next(), a.next(0)]);
    assert.deepEqual(
      [...got].sort((x, y) => x - y),
      [6, 7, 8, 9, 10],
    );
    assert.equal(await b.next(3), 11, 'never goes back');
  } finally {
    await nc.close();
  }
});
