import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatermarkTracker } from './watermark.ts';
import { isWindowClosed } from './window.ts';

const opts = { maxOutOfOrdernessMs: 5_000, idleTimeoutMs: 30_000 };

test('watermark = max event time − out-of-orderness; older records are late', () => {
  const t = new WatermarkTracker(opts, 0);
  assert.equal(t.watermarkOf('p0'), null);
  assert.equal(t.observe('p0', 100_000, 0), false);
  assert.equal(t.watermarkOf('p0'), 95_000);
  assert.equal(t.observe('p0', 97_000, 0), false, 'out of order within bound is on time');
  assert.equal(t.watermarkOf('p0'), 95_000, 'an older record does not move the watermark');
  assert.equal(t.observe('p0', 95_000, 0), false, 'exactly at the watermark is on time');
  assert.equal(t.isLate('p0', 94_999), true);
  assert.equal(t.observe('p0', 94_999, 0), true);
  assert.equal(t.watermarkOf('p0'), 95_000);
  assert.equal(t.isLate('p1', 0), false, 'nothing is late on an unseen partition');
});

test('combined watermark is the minimum over active partitions', () => {
  const t = new WatermarkTracker(opts, 0);
  t.observe('p0', 200_000, 0);
  t.observe('p1', 120_000, 0);
  assert.equal(t.current(0), 115_000);
  t.observe('p1', 300_000, 1_000);
  assert.equal(t.current(1_000), 195_000);
});

test('an expected partition with no data holds windows until it is idle', () => {
  const t = new WatermarkTracker({ ...opts, partitions: ['p0', 'p1'] }, 0);
  t.observe('p0', 200_000, 1_000);
  assert.equal(t.current(1_000), null);
  assert.equal(t.current(30_000), null);
  assert.equal(t.current(30_001), 195_000, 'p1 idle after the timeout, excluded');
  assert.deepEqual(t.activePartitions(30_001), ['p0']);
});

test('a partition expected later holds the combined watermark until it reports or idles', () => {
  const t = new WatermarkTracker({ ...opts, partitions: ['p0'] }, 0);
  t.observe('p0', 200_000, 1_000);
  assert.equal(t.current(1_000), 195_000);
  t.expect('p1', 2_000);
  assert.equal(t.current(2_000), null, 'the new partition has not reported');
  t.expect('p0', 2_000);
  t.observeWatermark('p1', 190_000, 3_000);
  assert.equal(t.current(3_000), 190_000, 'it reported: the minimum over both');
  const idle = new WatermarkTracker({ ...opts, partitions: ['p0'] }, 0);
  idle.observe('p0', 200_000, 1_000);
  idle.expect('p1', 2_000);
  idle.observe('p0', 210_000, 32_001);
  assert.equal(idle.current(32_001), 205_000, 'silent past the idle timeout: excluded');
});

test('idle partitions are excluded and rejoin when they speak again', () => {
  const t = new WatermarkTracker(opts, 0);
  t.observe('p0', 100_000, 0);
  t.observe('p1', 500_000, 0);
  assert.equal(t.current(10_000), 95_000, 'p0 holds p1 back while active');
  t.observe('p1', 560_000, 20_000);
  assert.equal(t.current(30_001), 555_000, 'p0 silent for > 30 s: excluded');
  assert.equal(isWindowClosed(480_000, 60_000, t.current(30_001)), true);
  t.observe('p0', 101_000, 40_000);
  assert.equal(t.current(40_000), 96_000, 'p0 active again: back in the minimum');
});

test('when every partition is idle: max, or advance with processing time', () => {
  const maxT = new WatermarkTracker(opts, 0);
  maxT.observe('p0', 100_000, 0);
  maxT.observe('p1', 160_000, 0);
  assert.equal(maxT.current(100_000), 155_000);
  const adv = new WatermarkTracker({ ...opts, whenAllIdle: 'advance' }, 0);
  adv.observe('p0', 100_000, 0);
  adv.observe('p1', 160_000, 0);
  assert.equal(adv.current(30_000), 95_000, 'still active at exactly the timeout');
  assert.equal(adv.current(40_000), 165_000, '155 000 + (40 000 − 0 − 30 000)');
  assert.equal(new WatermarkTracker(opts, 0).current(1e9), null, 'no data: no watermark');
});

test('late records count as activity but never advance the watermark', () => {
  const t = new WatermarkTracker(opts, 0);
  t.observe('p0', 100_000, 0);
  t.observe('p1', 300_000, 0);
  assert.equal(t.observe('p0', 1_000, 25_000), true);
  assert.equal(t.current(40_000), 95_000, 'p0 is active through its late record');
});

test('upstream watermark markers are monotonic', () => {
  const t = new WatermarkTracker(opts, 0);
  t.observeWatermark('p0', 50_000, 0);
  t.observeWatermark('p0', 40_000, 1);
  assert.equal(t.watermarkOf('p0'), 50_000);
  assert.equal(t.current(1), 50_000);
});

test('snapshot round-trips watermarks; restored partitions start active', () => {
  const t = new WatermarkTracker(opts, 0);
  t.observe('p1', 70_000, 0);
  t.observe('p0', 100_000, 0);
  const snap = JSON.parse(JSON.stringify(t.toJSON())) as ReturnType<WatermarkTracker['toJSON']>;
  assert.deepEqual(
    snap.partitions.map((p) => p[0]),
    ['p0', 'p1'],
  );
  const r = WatermarkTracker.fromJSON(snap, opts, 1_000_000);
  assert.equal(r.watermarkOf('p0'), 95_000);
  assert.equal(r.current(1_000_000), 65_000);
  assert.equal(r.isLate('p1', 64_999), true);
  assert.throws(
    () => WatermarkTracker.fromJSON({ v: 2 } as unknown as typeof snap, opts, 0),
    /snapshot/,
  );
  assert.throws(
    () => new WatermarkTracker({ maxOutOfOrdernessMs: -1, idleTimeoutMs: 0 }, 0),
    RangeError,
  );
});

test('explicit idleness: silence never excludes a partition, markIdle does until it is active again', () => {
  const t = new WatermarkTracker(
    { maxOutOfOrdernessMs: 0, idleTimeoutMs: 0, partitions: ['a', 'b'], idleness: 'explicit' },
    0,
  );
  t.observeWatermark('a', 1_000, 0);
  t.observeWatermark('b', 5_000, 0);
  assert.equal(t.current(10_000_000), 1_000, 'a long silence of a changes nothing');
  t.markIdle('a', 100);
  assert.equal(t.current(200), 5_000, 'a said it is idle: b alone');
  t.active('a', 300);
  assert.equal(t.current(400), 1_000, 'a is back');
});

test("explicit idleness, all idle, 'advance': time moves the watermark from the last declaration", () => {
  const opts = { maxOutOfOrdernessMs: 0, idleTimeoutMs: 0, partitions: ['a', 'b'] } as const;
  const t = new WatermarkTracker({ ...opts, idleness: 'explicit', whenAllIdle: 'advance' }, 0);
  t.observeWatermark('a', 1_000, 0);
  t.observeWatermark('b', 5_000, 0);
  t.markIdle('a', 100);
  t.markIdle('b', 2_000);
  assert.equal(t.current(2_000), 5_000);
  assert.equal(t.current(9_000), 12_000);
});
