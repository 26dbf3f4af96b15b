// Services own a partition while their Failover consumer is the active one. The state must be
// readable at any time (the broker's notice can come before a listener is attached).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarAdmin, PulsarClient } from '@iot/pulsar';
import { auth, stack, uniqueName } from '../support/stack.ts';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('Failover: isActive tells which consumer owns the partition, and ownership moves', async () => {
  const topic = `persistent://public/default/${uniqueName('ownership')}`;
  await new PulsarAdmin({ ...auth.pulsar, adminUrl: stack.pulsarAdminUrl }).createTopic(topic);
  const client = new PulsarClient({ ...auth.pulsar, serviceUrl: stack.pulsarUrl });
  try {
    const sub = { topic, subscription: 'owners', type: 'Failover' as const };
    const a = await client.subscribe({ ...sub, consumerName: 'a' });
    await until(() => a.isActive() === true);
    const b = await client.subscribe({ ...sub, consumerName: 'b' });
    await until(() => b.isActive() !== undefined);
    assert.equal(a.isActive() !== b.isActive(), true, 'exactly one of the two is active');
    const [owner, standby] = a.isActive() ? [a, b] : [b, a];
    await owner.close();
    await until(() => standby.isActive() === true);
    await standby.close();
  } finally {
    await client.close();
  }
});
