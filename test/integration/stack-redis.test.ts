// The stack's Redis keeps data across a restart (AOF), which the aggregator's state relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { auth, stack, stackCommand, uniqueName } from '../support/stack.ts';

test(
  'Redis: ioredis data survives a restart of the server (AOF)',
  { timeout: 120_000 },
  async () => {
    const key = uniqueName('stack-test');
    const before = new Redis(stack.redisUrl, { ...auth.redis, maxRetriesPerRequest: 1 });
    await before.hset(key, { window: '2026-01-01T00:00', count: '42' });
    assert.equal(await before.config('GET', 'appendonly').then((r) => (r as string[])[1]), 'yes');
    before.disconnect();

    await stackCommand('down', 'redis');
    await stackCommand('up', 'redis');

    const after = new Redis(stack.redisUrl, { ...auth.redis, maxRetriesPerRequest: 1 });
    try {
      assert.deepEqual(await after.hgetall(key), { window: '2026-01-01T00:00', count: '42' });
    } finally {
      await after.del(key);
      after.disconnect();
    }
  },
);
