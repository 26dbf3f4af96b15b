import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChannelGapError,
  decodeOutputMessage,
  decodeRecordsEnvelope,
  PROP,
  RecordsEnvelopeBuilder,
  type RecordsEnvelope,
} from '@iot/channel';
import { MessageId } from '@iot/pulsar';
import type { PartitionCommit, PartitionSnapshot } from '@iot/state';
import { mapSensorData, type SensorRecord } from '@iot/schema';
import { DEFAULT_ALERT_RULES } from '@iot/windows';
import {
  WindowOperator,
  deserializeOutput,
  serializeOutput,
  type Output,
} from './window-operator.ts';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const MIN = 60_000;
const opts = {
  windowSizeMs: MIN,
  alertRules: DEFAULT_ALERT_RULES,
  upstreamPartitions: 2,
};

const record = (sensorId: number, t: number, temperature = 20): SensorRecord =>
  mapSensorData(
    {
      sensorId,
      sensorType: 1,
      timestamp: t,
      temperature,
      humidity: 50,
      pressure: 1000,
      batteryLevel: 90,
      status: 1,
    },
    t,
  );

const seq: Record<number, number> = {};
/** Per source partition, the origin position of the last envelope built (its successor's previous). */
const sentLast: Record<number, string> = {};
const position = (p: number, entry: number) => `1:${entry}:${p}:-1:0`;
/** An envelope from source partition p, its records at the next positions, through the codec. */
const envelope = (
  p: number,
  records: SensorRecord[],
  epoch = 1,
  watermark: number | null = null,
): RecordsEnvelope => {
  const b = new RecordsEnvelopeBuilder();
  let last = position(p, seq[p] ?? 0);
  for (const r of records) {
    last = position(p, (seq[p] = (seq[p] ?? 0) + 1));
    b.add(r, MessageId.parse(last));
  }
  const previous = sentLast[p] ?? null;
  sentLast[p] = last;
  return decodeRecordsEnvelope(
    b.finish({ partition: p, position: last, epoch }, watermark, previous),
  );
};
const rec = (p: number, r: SensorRecord, epoch = 1) => envelope(p, [r], epoch);
const wm = (p: number, w: number, epoch = 1) => envelope(p, [], epoch, w);

const rows = (outputs: Output[]) =>
  outputs
    .filter((o) => o.topic === 'aggregates')
    .map((o) => {
      const d = decodeOutputMessage({
        payload: o.message.payload,
        properties: o.message.properties,
      });
      assert.equal(d.kind, 'aggregates');
      return d.kind === 'aggregates' ? d.rows : [];
    })
    .flat();

/** Applies a commit to an in-memory copy of the Redis state, as the Lua script does. */
function applyCommit(state: PartitionSnapshot, c: PartitionCommit): void {
  for (const [k, v] of c.upserts ?? []) state.entries.set(k, v);
  for (const k of c.deletes ?? []) state.entries.delete(k);
  for (const [k, v] of c.meta ?? []) state.meta.set(k, v);
  state.pending.push(...(c.appendPending ?? []));
}

test('a window closes once every upstream partition watermark has passed its end', () => {
  const op = new WindowOperator(opts, T0);
  const first = op.process(
    [
      rec(0, record(1, T0 + 1000, 10)),
      rec(1, record(1, T0 + 2000, 30)),
      rec(0, record(1, T0 + MIN + 5)),
    ],
    T0,
  );
  assert.deepEqual(rows(first.outputs), []);
  assert.equal(first.watermark, null, 'no watermark before every partition reported');

  const onlyOne = op.process([wm(0, T0 + MIN)], T0);
  assert.deepEqual(rows(onlyOne.outputs), [], 'partition 1 still holds the watermark back');

  const both = op.process([wm(1, T0 + MIN)], T0);
  const [row, ...more] = rows(both.outputs);
  assert.equal(more.length, 0);
  assert.equal(row?.device_id, 'sensor_1');
  assert.equal(row?.window_start, T0);
  assert.equal(row?.count, 2);
  assert.equal(row?.temperature_min, 10);
  assert.equal(row?.temperature_max, 30);
  assert.equal(row?.temperature_avg, 20);
  assert.deepEqual(both.commit.deletes, [`sensor_1|${T0}`]);
  assert.equal(op.openWindows, 1, 'the next window stays open');
});

test('a source partition added while running holds the windows until its watermark arrives', () => {
  let upstream = 1;
  const op = new WindowOperator({ ...opts, upstreamPartitions: () => upstream }, T0);
  op.process([rec(0, record(1, T0 + 1000))], T0);
  upstream = 2; // the source topic's partition count was raised
  const held = op.process([wm(0, T0 + MIN)], T0);
  assert.deepEqual(rows(held.outputs), [], 'partition 1 has not reported yet');
  assert.equal(held.watermark, null);
  const late = op.process([rec(1, record(2, T0 + 2000)), wm(1, T0 + MIN)], T0);
  assert.deepEqual(
    rows(late.outputs).map((r) => [r.device_id, r.count]),
    [
      ['sensor_1', 1],
      ['sensor_2', 1],
    ],
    "the new partition's reading is in the window, not late",
  );
  assert.equal(late.stats.late, 0);
});

test('re-published records (same origin) and records of a fenced epoch are not counted again', () => {
  const op = new WindowOperator(opts, T0);
  const a = rec(0, record(1, T0 + 1));
  const b = rec(0, record(1, T0 + 2), 2);
  const stale = {
    ...rec(0, record(1, T0 + 3)),
    origin: { partition: 0, position: '1:99:0:-1:0', epoch: 1 },
  };
  // The epoch-2 owner's chain goes on from b (the stale envelope is the old owner's).
  sentLast[0] = b.origin.position;
  const out = op.process([a, b, a, b, stale], T0);
  // b raised the channel's epoch to 2, so the second `a` (epoch 1) is fenced, not a duplicate.
  assert.equal(out.stats.applied, 2);
  assert.equal(out.stats.duplicates, 1);
  assert.equal(out.stats.fenced, 2);
  const closed = op.process([wm(0, T0 + MIN, 2), wm(1, T0 + MIN)], T0);
  assert.equal(rows(closed.outputs)[0]?.count, 2);
});

test('restoring from committed state after any batch gives the same outputs as no crash', () => {
  const batches: RecordsEnvelope[][] = [];
  for (let i = 0; i < 6; i++) {
    const batch: RecordsEnvelope[] = [];
    for (let d = 0; d < 5; d++) {
      batch.push(rec(d % 2, record(d, T0 + i * 25_000 + d * 100, 20 + d + i)));
    }
    batch.push(wm(0, T0 + i * 25_000 - 5_000), wm(1, T0 + i * 25_000 - 5_000));
    batches.push(batch);
  }
  const straight = new WindowOperator(opts, T0);
  const expected = batches.flatMap((b) =>
    straight.process(b, T0).outputs.map((o) => o.message.payload.toString()),
  );

  for (let crashAfter = 0; crashAfter < batches.length; crashAfter++) {
    const state: PartitionSnapshot = { entries: new Map(), meta: new Map(), pending: [] };
    let op = new WindowOperator(opts, T0);
    const got: string[] = [];
    batches.forEach((batch, i) => {
      const r = op.process(batch, T0);
      applyCommit(state, r.commit);
      got.push(...state.pending.map((p) => deserializeOutput(p).message.payload.toString()));
      state.pending = [];
      if (i === crashAfter) op = WindowOperator.restore(state, opts, T0);
    });
    assert.deepEqual(got, expected, `crash after batch ${crashAfter}`);
  }
});

test('a replay whose batch boundaries differ applies only the records beyond the channel position', () => {
  const op = new WindowOperator(opts, T0);
  const readings = Array.from({ length: 6 }, (_, i) => record(1, T0 + i * 100));
  const all = Array.from({ length: 6 }, (_, i) => position(0, 1000 + i));
  const build = (from: number, to: number, epoch: number) => {
    const b = new RecordsEnvelopeBuilder();
    for (let i = from; i < to; i++) b.add(readings[i]!, MessageId.parse(all[i]!));
    const previous = from === 0 ? null : all[from - 1]!;
    return decodeRecordsEnvelope(
      b.finish({ partition: 0, position: all[to - 1]!, epoch }, null, previous),
    );
  };
  // First attempt: records 0..3 in one envelope. The replay (new owner epoch) cuts its
  // batches at 0..1 (all seen) and 2..5 (straddles: 2 and 3 seen, 4 and 5 new).
  const first = op.process([build(0, 4, 1)], T0);
  assert.equal(first.stats.applied, 4);
  const replay = op.process([build(0, 2, 2), build(2, 6, 2)], T0);
  assert.equal(replay.stats.duplicates, 4);
  assert.equal(replay.stats.applied, 2);
  const late = op.process([build(4, 6, 1)], T0);
  assert.equal(late.stats.fenced, 2, 'the old owner is fenced once the new epoch was seen');
  // A marker-only envelope at an older position is a duplicate, but its watermark counts.
  const closed = op.process([envelope(0, [], 2, T0 + MIN), wm(1, T0 + MIN)], T0);
  assert.equal(rows(closed.outputs)[0]?.count, 6, 'each reading counted once');
});

test('an envelope whose predecessor on the channel was never applied is refused (a gap)', () => {
  const op = new WindowOperator(opts, T0);
  const first = rec(1, record(2, T0 + 1));
  const skipped = rec(1, record(2, T0 + 2));
  const after = rec(1, record(2, T0 + 3));
  assert.equal(op.process([first], T0).stats.applied, 1);
  // `skipped` never arrives (the cursor moved past it): `after` names it as its predecessor.
  assert.equal(after.previous, skipped.origin.position);
  assert.throws(() => op.process([after], T0), ChannelGapError);
  // Read again in order, nothing is lost and nothing counted twice.
  const again = op.process([skipped, after], T0);
  assert.equal(again.stats.applied, 2);
  assert.equal(again.stats.duplicates, 0);
  const closed = op.process([wm(0, T0 + MIN), wm(1, T0 + MIN)], T0);
  assert.equal(rows(closed.outputs).find((r) => r.device_id === 'sensor_2')?.count, 3);
});

test('a channel with no progress yet takes its first envelope whatever it follows', () => {
  const op = new WindowOperator(opts, T0);
  rec(1, record(3, T0 + 1)); // sent, and never seen by this operator (its state started later)
  assert.equal(op.process([rec(1, record(3, T0 + 2))], T0).stats.applied, 1);
});

test('a record for an already emitted window goes to the DLQ as late, not into a new row', () => {
  const op = new WindowOperator(opts, T0);
  op.process([rec(0, record(1, T0 + 1)), wm(0, T0 + MIN), wm(1, T0 + MIN)], T0);
  const out = op.process([rec(1, record(1, T0 + 500))], T0);
  assert.equal(out.stats.late, 1);
  const dlq = out.outputs.filter((o) => o.topic === 'dlq');
  assert.equal(dlq[0]?.message.properties[PROP.reason], 'late');
  assert.equal(dlq[0]?.message.properties[PROP.originPartition], '1', 'carries its origin');
  assert.equal(
    dlq[0]?.message.properties[PROP.originPosition],
    position(1, seq[1]!),
    'the position of its own source message, not the batch end',
  );
  assert.equal(op.openWindows, 0);
});

test('readings over the thresholds raise alerts, each naming its reading (its identity)', () => {
  const op = new WindowOperator(opts, T0);
  const env = rec(0, record(1, T0 + 1, 36.5));
  const out = op.process([env], T0);
  const alerts = out.outputs.filter((o) => o.topic === 'alerts');
  assert.equal(alerts.length, 1);
  const a = decodeOutputMessage({
    payload: alerts[0]!.message.payload,
    properties: alerts[0]!.message.properties,
  });
  assert.equal(a.kind === 'alerts' && a.alerts.length, 1);
  assert.equal(a.kind === 'alerts' && a.alerts[0]!.kind, 'high_temperature');
  assert.equal(a.kind === 'alerts' && a.alerts[0]!.reading, env.positionOf(0));
});

/** Ingest's idle marker for source partition p: it names the last envelope sent there. */
const idleMarker = (p: number, epoch = 1): RecordsEnvelope => {
  const b = new RecordsEnvelopeBuilder();
  const last = sentLast[p] ?? null;
  return decodeRecordsEnvelope(
    b.finish({ partition: p, position: last ?? '', epoch }, null, last, true),
  );
};

test('silence alone never closes a window, however long (a stall is not idleness)', () => {
  const op = new WindowOperator(opts, T0);
  op.process([rec(0, record(1, T0 + 1)), wm(0, T0 + 10_000), wm(1, T0 + 10_000)], T0);
  assert.deepEqual(rows(op.process([], T0 + 3_600_000).outputs), []);
});

test('when ingest says every upstream partition is idle, time closes the last windows', () => {
  const op = new WindowOperator(opts, T0);
  op.process([rec(0, record(1, T0 + 1)), wm(0, T0 + 10_000), wm(1, T0 + 10_000)], T0);
  // Only one partition idle: the other still holds the window.
  op.process([idleMarker(0)], T0 + 1_000);
  assert.deepEqual(rows(op.process([], T0 + 120_000).outputs), []);
  op.process([idleMarker(1)], T0 + 121_000);
  assert.deepEqual(rows(op.process([], T0 + 121_500).outputs), []);
  const later = op.process([], T0 + 121_000 + 51_000);
  assert.equal(rows(later.outputs).length, 1);
});

test('an idle partition is awake again with its next envelope, and a marker ahead of a gap is ignored', () => {
  const op = new WindowOperator(opts, T0);
  op.process([rec(0, record(4, T0 + 1)), wm(0, T0 + 10_000), wm(1, T0 + 10_000)], T0);
  op.process([idleMarker(0), idleMarker(1)], T0 + 1_000);
  // Partition 1 sends records again: it holds the watermark from now on.
  op.process([rec(1, record(5, T0 + 20_000))], T0 + 2_000);
  assert.deepEqual(rows(op.process([], T0 + 600_000).outputs), []);
  // A marker naming an envelope this operator never applied (it was skipped) is not believed.
  rec(1, record(5, T0 + 21_000)); // sent, never read
  op.process([idleMarker(1)], T0 + 600_000);
  assert.deepEqual(rows(op.process([], T0 + 900_000).outputs), []);
});

test('pending outputs round-trip through their Redis form, optional fields included', () => {
  const outputs: Output[] = [
    {
      topic: 'alerts',
      message: {
        payload: Buffer.from('{"a":1}'),
        key: 'sensor_1',
        properties: { 'iot-kind': 'alert' },
        eventTime: 1_700_000_000_123,
      },
    },
    { topic: 'dlq', message: { payload: Buffer.from([0, 255, 1]), properties: {} } },
  ];
  for (const o of outputs) assert.deepEqual(deserializeOutput(serializeOutput(o)), o);
});
