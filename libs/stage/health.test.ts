import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionSupervisor } from '@iot/actors';
import { partitionLoops, pulsarProbe, redisProbe } from './health.ts';

test('partitionLoops reports each running loop with its time since progress and backlog', async () => {
  let clock = 10_000;
  const sup = new PartitionSupervisor<number>({
    create: () => ({ start: async () => {}, step: () => new Promise<void>(() => {}) }),
    now: () => clock,
  });
  sup.own(0);
  sup.own(2);
  await new Promise((r) => setImmediate(r));
  clock = 12_500;
  let suspended = false;
  const loops = partitionLoops(sup, {
    backlog: (p) => (p === 2 ? 40 : 0),
    paused: () => suspended,
    now: () => clock,
  });
  assert.deepEqual(loops(), [
    { key: 'partition 0', sinceProgressMs: 2500, backlog: 0, paused: false },
    { key: 'partition 2', sinceProgressMs: 2500, backlog: 40, paused: false },
  ]);
  suspended = true;
  assert.equal(loops()[1]?.paused, true);
});

test('pulsarProbe names every topic not attached to a broker', () => {
  const a = { disconnectedTopics: [] as string[] };
  const b = { disconnectedTopics: ['persistent://public/default/t-partition-1'] };
  assert.equal(pulsarProbe([a])(), true);
  assert.throws(
    () => pulsarProbe([a, b, b])(),
    /^Error: not connected to the broker for persistent:\/\/public\/default\/t-partition-1 \(reconnecting\)$/,
  );
});

test('redisProbe does not queue a PING behind a connection that is down', async () => {
  let pings = 0;
  const client = { status: 'reconnecting', ping: async () => (pings++, 'PONG') };
  await assert.rejects(redisProbe(client)(), /^Error: connection reconnecting$/);
  assert.equal(pings, 0);
  client.status = 'ready';
  assert.equal(await redisProbe(client)(), true);
});
