import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InFlight, TokenBucket } from './pacer.ts';

test('token bucket: starts at the rate, never more than the burst saved up', () => {
  let t = 0;
  const b = new TokenBucket(1000, 50, () => t);
  assert.equal(b.take(1000), 1);
  assert.equal(b.take(1), 0);
  assert.equal(b.waitMs(), 1);
  t += 10;
  assert.equal(b.take(1000), 10);
  t += 10_000; // a long stall saves up only the burst
  assert.equal(b.take(100_000), 50);
  t += 0.5;
  assert.equal(b.take(1), 0);
  assert.ok(Math.abs(b.waitMs() - 0.5) < 1e-9);
});

test('token bucket: over a simulated second it grants the rate', () => {
  let t = 0;
  const b = new TokenBucket(30_000, 1500, () => t);
  let granted = 0;
  while (t < 1000) {
    granted += b.take(1000);
    t += Math.max(1, b.waitMs());
  }
  assert.ok(Math.abs(granted - 30_000) <= 30, `granted ${granted}`);
});

test('in flight: bounded, drains, keeps the first failure', async () => {
  const f = new InFlight(2);
  const resolvers: (() => void)[] = [];
  const pending = () => new Promise<void>((r) => resolvers.push(r));
  f.add(pending());
  f.add(pending());
  let below = false;
  const waiting = f.belowLimit().then(() => (below = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(below, false);
  resolvers[0]!();
  await waiting;
  assert.equal(f.pending, 1);
  f.add(Promise.reject(new Error('send failed: topic deleted')));
  f.add(Promise.reject(new Error('second')));
  resolvers[1]!();
  await assert.rejects(f.drain(), /topic deleted/);
  assert.throws(() => f.check(), /topic deleted/);
  assert.equal(f.settled, 4);
});
