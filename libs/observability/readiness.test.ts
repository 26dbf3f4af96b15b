import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Readiness } from './readiness.ts';

test('watch() keeps a background probe’s last answer, with the error as the reason', async () => {
  const readiness = new Readiness({ timeoutMs: 50 });
  let up = false;
  let calls = 0;
  try {
    await readiness.watch(
      'redis',
      () => {
        calls++;
        if (!up) throw new Error('connection refused');
        return true;
      },
      { intervalMs: 20 },
    );
    let report = await readiness.evaluate();
    assert.deepEqual(report.failing, ['redis']);
    assert.deepEqual(report.checks, [
      { name: 'redis', ready: false, reason: 'connection refused' },
    ]);
    assert.deepEqual(readiness.failingStates(), ['redis']);

    up = true;
    await new Promise((r) => setTimeout(r, 80));
    report = await readiness.evaluate();
    assert.equal(report.ready, true);
    assert.deepEqual(readiness.failingStates(), []);

    const before = calls;
    await readiness.evaluate();
    await readiness.evaluate();
    assert.ok(calls - before <= 1, 'evaluating does not run the probe');
  } finally {
    readiness.stopWatching();
  }
  const stopped = calls;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(calls, stopped, 'no probe runs after stopWatching()');
});

test('a watched probe that hangs is not ready once the timeout passes', async () => {
  const readiness = new Readiness({ timeoutMs: 30 });
  try {
    await readiness.watch('clickhouse', () => new Promise<boolean>(() => {}), {
      intervalMs: 1000,
    });
    const report = await readiness.evaluate();
    assert.deepEqual(report.checks, [
      { name: 'clickhouse', ready: false, reason: 'no answer within 30 ms' },
    ]);
  } finally {
    readiness.stopWatching();
  }
});

test('failingStates() lists set and watched states only, not polled checks', () => {
  const readiness = new Readiness();
  readiness.set('processing', false, 'connecting');
  readiness.set('pulsar', true);
  readiness.register('polled', () => false);
  assert.deepEqual(readiness.failingStates(), ['processing']);
});
