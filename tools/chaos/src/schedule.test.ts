import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchedule, describeFault, injectionWindow, type ScheduleOptions } from './schedule.ts';

const base: ScheduleOptions = {
  seed: 7,
  durationMs: 10 * 60_000,
  killsPerMinute: 2,
  stopMs: 75_000,
  outageMs: 30_000,
};

test('the same seed gives the same schedule; another seed another one', () => {
  assert.deepEqual(buildSchedule(base), buildSchedule(base));
  assert.notDeepEqual(buildSchedule(base), buildSchedule({ ...base, seed: 8 }));
});

test('every fault kind at least once, in time order, inside the injection window', () => {
  for (const durationMs of [2 * 60_000, 10 * 60_000]) {
    const s = buildSchedule({ ...base, durationMs });
    const kinds = new Set(s.map((f) => f.kind));
    assert.equal(kinds.size, 11, [...kinds].join());
    const { fromMs, toMs } = injectionWindow(durationMs);
    for (const f of s) assert.ok(f.atMs >= fromMs && f.atMs <= toMs, describeFault(f));
    assert.deepEqual(
      s.map((f) => f.atMs),
      [...s.map((f) => f.atMs)].sort((a, b) => a - b),
    );
  }
});

test('a 10-minute run kills at least 20 instances, both of a stage and the leader included', () => {
  const s = buildSchedule(base);
  const kills =
    s.filter((f) => f.kind === 'kill').length +
    2 * s.filter((f) => f.kind === 'kill-pair').length +
    s.filter((f) => f.kind === 'kill-leader').length;
  assert.ok(kills >= 20, `${kills} kills`);
  const pair = s.find((f) => f.kind === 'kill-pair');
  assert.ok(pair !== undefined && pair.gapMs < 6_000, 'the pair dies within one lease');
  const stop = s.find((f) => f.kind === 'stop-cont');
  assert.equal(stop?.forMs, 75_000);
});
