// The Pulsar standalone broker is real: its admin REST API creates a partitioned topic and
// reports its metadata, and the broker-level settings the pipeline relies on are in force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, stack, uniqueName } from '../support/stack.ts';

// As the admin (the broker authenticates every request).
const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.pulsarAdminUrl}${path}`, {
    ...init,
    headers: { ...auth.pulsarHeaders, ...(init.headers as Record<string, string> | undefined) },
  });

test('Pulsar admin: creates a partitioned topic and reads its metadata', async () => {
  const topic = uniqueName('stack-test');
  const path = `/admin/v2/persistent/public/default/${topic}/partitions`;
  const created = await admin(path, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: '3',
  });
  assert.equal(created.status, 204, await created.text());
  try {
    const meta = await admin(path);
    assert.equal(meta.status, 200);
    assert.equal(((await meta.json()) as { partitions: number }).partitions, 3);

    const list = await admin('/admin/v2/persistent/public/default/partitioned');
    const topics = (await list.json()) as string[];
    assert.ok(topics.includes(`persistent://public/default/${topic}`), topics.join(','));
  } finally {
    await admin(`${path}?force=true`, { method: 'DELETE' });
  }
});

test('Pulsar broker: a produce/consume health check on the heartbeat topic passes', async () => {
  const res = await admin('/admin/v2/brokers/health');
  assert.equal(res.status, 200, await res.text());
});

test('Pulsar broker: batch-index acks and never deleting inactive topics are configured', async () => {
  const res = await admin('/admin/v2/brokers/configuration/runtime');
  const cfg = (await res.json()) as Record<string, string>;
  assert.equal(cfg.acknowledgmentAtBatchIndexLevelEnabled, 'true');
  assert.equal(cfg.brokerDeleteInactiveTopicsEnabled, 'false');
  assert.equal(cfg.managedLedgerDefaultEnsembleSize, '1');
});
