import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Health, judgeHealth, type HealthInput, type LoopProgress } from './health.ts';

const base: HealthInput = {
  eventLoopDelayMs: 30,
  eventLoopStallMs: 5000,
  loops: [],
  loopStallMs: 30_000,
  dependenciesDown: [],
};
const loop = (over: Partial<LoopProgress>): LoopProgress => ({
  key: 'partition 0',
  sinceProgressMs: 100,
  backlog: 0,
  paused: false,
  ...over,
});

test('healthy when the loop is quick and every partition progresses', () => {
  assert.deepEqual(judgeHealth({ ...base, loops: [loop({ backlog: 4000 })] }), {
    healthy: true,
    reasons: [],
  });
});

test('an event loop stalled past the threshold is unhealthy, with the delay named', () => {
  const v = judgeHealth({ ...base, eventLoopDelayMs: 7200.4 });
  assert.equal(v.healthy, false);
  assert.deepEqual(v.reasons, ['event loop stalled for 7200 ms (threshold 5000 ms)']);
});

test('a loop with waiting input and no batch past the threshold is wedged', () => {
  const v = judgeHealth({
    ...base,
    loops: [loop({}), loop({ key: 'partition 3', sinceProgressMs: 45_000, backlog: 5000 })],
  });
  assert.equal(v.healthy, false);
  assert.deepEqual(v.reasons, [
    'partition 3: no micro-batch completed for 45000 ms with 5000 message(s) waiting (threshold 30000 ms)',
  ]);
});

test('an idle topic never looks wedged: no input waiting, however long since a batch', () => {
  const v = judgeHealth({ ...base, loops: [loop({ sinceProgressMs: 3_600_000, backlog: 0 })] });
  assert.equal(v.healthy, true);
});

test('a suspended (parked) loop or a dependency down excuses a stall; the event loop is still judged', () => {
  const stuck = loop({ sinceProgressMs: 60_000, backlog: 10 });
  assert.equal(judgeHealth({ ...base, loops: [{ ...stuck, paused: true }] }).healthy, true);
  assert.equal(judgeHealth({ ...base, loops: [stuck], dependenciesDown: ['redis'] }).healthy, true);
  assert.equal(
    judgeHealth({
      ...base,
      eventLoopDelayMs: 9000,
      loops: [stuck],
      dependenciesDown: ['redis'],
    }).reasons.length,
    1,
  );
});

test('exactly at the threshold is still healthy', () => {
  const v = judgeHealth({
    ...base,
    eventLoopDelayMs: 5000,
    loops: [loop({ sinceProgressMs: 30_000, backlog: 1 })],
  });
  assert.equal(v.healthy, true);
});

test('Health notices a real event-loop block and forgets it after two windows', async () => {
  const health = new Health({ eventLoopStallMs: 150, loopStallMs: 30_000, windowMs: 400 });
  try {
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(health.check().healthy, true);
    const until = Date.now() + 400;
    while (Date.now() < until); // a synchronous block: the event loop stalls
    await new Promise((r) => setTimeout(r, 50));
    const v = health.check();
    assert.equal(v.healthy, false);
    assert.match(v.reasons[0] ?? '', /^event loop stalled for \d+ ms \(threshold 150 ms\)$/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(health.check().healthy, true);
  } finally {
    health.close();
  }
});

test('Health asks the registered loop sources and the failing dependencies on each check', () => {
  let down: string[] = [];
  const health = new Health({
    eventLoopStallMs: 60_000,
    loopStallMs: 1000,
    dependenciesDown: () => down,
  });
  try {
    health.watchLoops(() => [loop({ sinceProgressMs: 5000, backlog: 3 })]);
    assert.equal(health.check().healthy, false);
    down = ['clickhouse'];
    assert.equal(health.check().healthy, true);
  } finally {
    health.close();
  }
});
