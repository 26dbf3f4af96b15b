import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAggregatesMessage, encodeAlertsMessage, PROP } from '@iot/channel';
import type { AggregateRow, Alert } from '@iot/windows';
import { WriteTask, type OutputBatch, type RowSink } from './write-task.ts';

const row = (i: number) =>
  ({ device_id: `sensor_${i}`, window_start: 60_000 * i, count: i }) as unknown as AggregateRow;
const alert: Alert = {
  device_id: 'sensor_1',
  event_time: 1000,
  kind: 'low_battery',
  source: 'reading',
  value: 5,
  threshold: 20,
};

function fakeSource(messages: OutputBatch['messages'], perBatch: number) {
  let next = 0;
  const acked: number[] = [];
  return {
    acked,
    source: {
      async receiveBatch(max: number) {
        const from = next;
        next = Math.min(messages.length, next + Math.min(max, perBatch));
        const end = next;
        return { messages: messages.slice(from, end), ack: async () => void acked.push(end) };
      },
    },
  };
}

function deps(
  source: { receiveBatch(max: number, t: number): Promise<OutputBatch> },
  sink: RowSink,
) {
  let clock = 0;
  const dlq: unknown[] = [];
  return {
    dlq,
    deps: {
      source,
      sink,
      publishDlq: async (m: readonly unknown[]) => void dlq.push(...m),
      batchSize: 5,
      flushIntervalMs: 1000,
      flushIdleMs: 0,
      now: () => (clock += 10),
      sleep: async () => {},
      retry: { initialMs: 1, maxMs: 4 },
    },
  };
}

test('a batch holds at most batchSize rows and is acked only after the insert', async () => {
  const msgs = [1, 2, 3, 4, 5, 6, 7].map((i) => encodeAggregatesMessage([row(i)]));
  const { source, acked } = fakeSource(msgs, 2);
  const events: string[] = [];
  const inserted: string[][] = [];
  const sink: RowSink = {
    insertAggregates: async (rows) => {
      events.push(`insert ${rows.length} after ${acked.length} acks`);
      inserted.push(rows.map((r) => r.device_id));
    },
    insertSensorsLocal: async () => {},
    insertAlerts: async () => {},
  };
  const task = new WriteTask(deps(source, sink).deps);
  assert.equal(await task.step(), 5);
  assert.equal(await task.step(), 2);
  assert.deepEqual(inserted, [
    ['sensor_1', 'sensor_2', 'sensor_3', 'sensor_4', 'sensor_5'],
    ['sensor_6', 'sensor_7'],
  ]);
  // The first batch came in three reads (2+2+1), all acked after the first insert only.
  assert.deepEqual(events, ['insert 5 after 0 acks', 'insert 2 after 3 acks']);
  assert.deepEqual(acked, [2, 4, 5, 7]);
});

test('a ClickHouse outage is retried with backoff; nothing is acked until it succeeds', async () => {
  const { source, acked } = fakeSource(
    [encodeAggregatesMessage([row(1)]), encodeAlertsMessage([alert])],
    5,
  );
  let failures = 3;
  const alerts: Alert[] = [];
  const sink: RowSink = {
    insertAggregates: async () => {
      if (failures-- > 0) {
        assert.deepEqual(acked, []);
        throw new Error('ECONNREFUSED');
      }
    },
    insertSensorsLocal: async () => {},
    insertAlerts: async (a) => void alerts.push(...a),
  };
  const retries: number[] = [];
  const task = new WriteTask({
    ...deps(source, sink).deps,
    onRetry: (_n, _e, d) => retries.push(d),
  });
  assert.equal(await task.step(), 2);
  assert.deepEqual(retries, [1, 2, 4]);
  assert.deepEqual(alerts, [alert]);
  assert.deepEqual(acked, [2]);
});

test('a message that is not an aggregate or alert goes to the DLQ with a reason', async () => {
  const bad = { payload: Buffer.from('not json'), properties: { [PROP.kind]: 'aggregates' } };
  const { source, acked } = fakeSource([bad, encodeAggregatesMessage([row(2)])], 5);
  const sink: RowSink = {
    insertAggregates: async () => {},
    insertSensorsLocal: async () => {},
    insertAlerts: async () => {},
  };
  const d = deps(source, sink);
  await new WriteTask(d.deps).step();
  assert.equal(d.dlq.length, 1);
  assert.equal(
    (d.dlq[0] as { properties: Record<string, string> }).properties[PROP.reason],
    'bad_output_message',
  );
  assert.deepEqual(acked, [2]);
});

test('flushIdleMs: a burst is written once the topic is quiet, not after the flush interval', async () => {
  // Three rows arrive, then nothing: the batch is written after one quiet slice.
  const msgs = [1, 2, 3].map((i) => encodeAggregatesMessage([row(i)]));
  const { source } = fakeSource(msgs, 3);
  const waits: number[] = [];
  const timed = {
    receiveBatch: (max: number, timeoutMs: number) => {
      waits.push(timeoutMs);
      return source.receiveBatch(max);
    },
  };
  const inserted: number[] = [];
  const sink: RowSink = {
    insertAggregates: async (rows) => void inserted.push(rows.length),
    insertSensorsLocal: async () => {},
    insertAlerts: async () => {},
  };
  const quiet = deps(timed, sink).deps;
  assert.equal(await new WriteTask({ ...quiet, flushIdleMs: 100 }).step(), 3);
  assert.deepEqual(inserted, [3]);
  assert.deepEqual(waits, [100, 100], 'read in idle-sized slices; the empty one ends the batch');

  // Without it, the same burst waits for the flush interval (reads until the clock passes it).
  const again = fakeSource(msgs, 3);
  let reads = 0;
  const counted = {
    receiveBatch: (max: number) => {
      reads++;
      return again.source.receiveBatch(max);
    },
  };
  assert.equal(await new WriteTask(deps(counted, sink).deps).step(), 3);
  assert.ok(reads > 10, `kept reading until the interval was over (${reads} reads)`);
});

test('flushIdleMs: a steady trickle never looks quiet; the batch still ends at batchSize', async () => {
  const msgs = [1, 2, 3, 4, 5, 6, 7].map((i) => encodeAggregatesMessage([row(i)]));
  const { source, acked } = fakeSource(msgs, 1);
  const sink: RowSink = {
    insertAggregates: async () => {},
    insertSensorsLocal: async () => {},
    insertAlerts: async () => {},
  };
  const task = new WriteTask({ ...deps(source, sink).deps, flushIdleMs: 100 });
  assert.equal(await task.step(), 5);
  assert.equal(await task.step(), 2);
  assert.deepEqual(acked, [1, 2, 3, 4, 5, 6, 7]);
});

test('rows are counted inside envelopes: one envelope of many rows fills a batch', async () => {
  const big = encodeAggregatesMessage([1, 2, 3, 4, 5, 6].map(row));
  const alerts = encodeAlertsMessage([alert, { ...alert, device_id: 'sensor_2' }]);
  const { source, acked } = fakeSource([big, alerts], 1);
  const inserted: number[] = [];
  const sink: RowSink = {
    insertAggregates: async (rows) => void inserted.push(rows.length),
    insertSensorsLocal: async () => {},
    insertAlerts: async (a) => void inserted.push(a.length),
  };
  const task = new WriteTask(deps(source, sink).deps);
  // batchSize is 5: the first envelope alone (6 rows) ends the batch.
  assert.equal(await task.step(), 6);
  assert.equal(await task.step(), 2);
  assert.deepEqual(inserted, [6, 2]);
  assert.deepEqual(acked, [1, 2]);
});
