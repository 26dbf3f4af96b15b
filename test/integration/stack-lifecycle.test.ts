// `npm run stack -- up` is idempotent and restarts only what is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alive, stackCommand, stackPid as pidOf } from '../support/stack.ts';

const managed = ['pulsar', 'clickhouse', 'redis', 's3'] as const;

test('stack up on a running stack returns in seconds and starts nothing', async () => {
  const before = await Promise.all(managed.map(pidOf));
  const started = Date.now();
  await stackCommand('up');
  const elapsedMs = Date.now() - started;
  assert.ok(elapsedMs < 10_000, `second 'up' took ${elapsedMs} ms`);
  assert.deepEqual(await Promise.all(managed.map(pidOf)), before);
});

test(
  'a killed server is restarted by the next up, and only that one',
  { timeout: 120_000 },
  async () => {
    const before = Object.fromEntries(
      await Promise.all(managed.map(async (s) => [s, await pidOf(s)])),
    );
    const victim = before.redis;
    assert.ok(victim !== undefined && alive(victim), 'redis should be running under stack.sh');
    process.kill(victim, 'SIGKILL');
    while (alive(victim)) await new Promise((r) => setTimeout(r, 50));

    const { stdout } = await stackCommand('status');
    assert.match(stdout, /^redis\s+down/m);

    const { stderr } = await stackCommand('up');
    assert.match(stderr, /starting redis/);
    assert.doesNotMatch(stderr, /starting (pulsar|clickhouse|s3|nats)/);
    const after = Object.fromEntries(
      await Promise.all(managed.map(async (s) => [s, await pidOf(s)])),
    );
    assert.notEqual(after.redis, victim);
    for (const s of ['pulsar', 'clickhouse', 's3']) assert.equal(after[s], before[s], s);
    assert.match((await stackCommand('status')).stdout, /^redis\s+ready/m);
  },
);
