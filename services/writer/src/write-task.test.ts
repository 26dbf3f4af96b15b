import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeOutputMessage,
  encodeAggregatesMessage,
  encodeAlertsMessage,
  PROP,
  type OutgoingMessage,
} from '@iot/channel';
import { UnencodableRowError } from '@iot/clickhouse';
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
      retry: { initialMs: 1, maxMs: 4, random: () => 0.5 }, // mid-jitter: exact delays
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

// ClickHouse 18.16's answer to a row a MATERIALIZED throwIf column refuses (captured live).
const THROW_IF =
  "Code: 395, e.displayText() = DB::Exception: Value passed to 'throwIf' function is non zero, e.what() = DB::Exception\n";

/** Tables that refuse, all or nothing, any insert holding one of their bad devices. */
function refusingSink(bad: { local?: string[]; aggregates?: string[]; alerts?: string[] }) {
  const written = { local: [] as string[], aggregates: [] as string[], alerts: [] as string[] };
  const table =
    (name: keyof typeof written, refuse: (id: string) => Error) =>
    async (xs: readonly { device_id: string }[]) => {
      const b = xs.find((x) => bad[name]?.includes(x.device_id));
      if (b) throw refuse(b.device_id);
      written[name].push(...xs.map((x) => x.device_id));
    };
  const sink: RowSink = {
    insertSensorsLocal: table(
      'local',
      (id) =>
        new UnencodableRowError(
          'sensors_local',
          new RangeError(`column error_count (UInt32) cannot hold 5000000000 (${id})`),
        ),
    ),
    insertAggregates: table('aggregates', () => new Error(THROW_IF)),
    insertAlerts: table('alerts', () => new Error(THROW_IF)),
  };
  return { sink, written };
}

const props = (m: unknown) => (m as OutgoingMessage).properties;

test('a row sensors_local refuses goes to the DLQ and into neither table; the rest is written and acked', async () => {
  const msgs = [1, 2, 3, 4, 5].map((i) => encodeAggregatesMessage([row(i)]));
  const { source, acked } = fakeSource(msgs, 5);
  const { sink, written } = refusingSink({ local: ['sensor_3'] });
  const d = deps(source, sink);
  const flushed: unknown[] = [];
  const rejected: string[] = [];
  const task = new WriteTask({
    ...d.deps,
    onFlush: (s) => flushed.push({ ...s, ms: 0 }),
    onRejected: (table, detail) => rejected.push(`${table} | ${detail}`),
  });
  assert.equal(await task.step(), 5);
  const good = ['sensor_1', 'sensor_2', 'sensor_4', 'sensor_5'];
  assert.deepEqual([...new Set(written.local)].sort(), good);
  assert.deepEqual(written.aggregates.sort(), good, 'the tables do not diverge');
  assert.equal(d.dlq.length, 1);
  const dead = d.dlq[0] as OutgoingMessage;
  assert.equal(props(dead)[PROP.reason], 'rejected_by_clickhouse');
  assert.equal(
    props(dead)[PROP.detail],
    'sensors_local: column error_count (UInt32) cannot hold 5000000000 (sensor_3)',
  );
  // The DLQ holds the row as a channel message the writer can decode again.
  const back = decodeOutputMessage({ payload: dead.payload, properties: dead.properties });
  assert.equal(back.kind === 'aggregates' && back.rows[0]!.device_id, 'sensor_3');
  assert.deepEqual(rejected, [`sensors_local | ${props(dead)[PROP.detail]}`]);
  assert.deepEqual(flushed, [
    { aggregates: 4, alerts: 0, malformed: 0, rejected: 1, ms: 0, windowsClosedAt: [] },
  ]);
  assert.deepEqual(acked, [5]);
});

test('rows and alerts ClickHouse refuses carry its error text; malformed messages share the DLQ batch', async () => {
  const bad = { payload: Buffer.from('not json'), properties: { [PROP.kind]: 'aggregates' } };
  const badAlert = { ...alert, device_id: 'sensor_9' };
  const msgs = [
    encodeAggregatesMessage([row(1)]),
    encodeAggregatesMessage([row(2)]),
    bad,
    encodeAlertsMessage([alert]),
    encodeAlertsMessage([badAlert]),
  ];
  const { source, acked } = fakeSource(msgs, 5);
  const { sink, written } = refusingSink({ aggregates: ['sensor_2'], alerts: ['sensor_9'] });
  const d = deps(source, sink);
  await new WriteTask(d.deps).step();
  assert.deepEqual(written.aggregates, ['sensor_1']);
  assert.deepEqual(written.alerts, ['sensor_1']);
  assert.deepEqual(
    d.dlq.map((m) => [props(m)[PROP.kind], props(m)[PROP.reason], props(m)[PROP.detail]]),
    [
      ['aggregates', 'bad_output_message', props(d.dlq[0])[PROP.detail]],
      ['aggregates', 'rejected_by_clickhouse', `sensor_aggregates: ${THROW_IF.trim()}`],
      ['alerts', 'rejected_by_clickhouse', `sensor_alerts: ${THROW_IF.trim()}`],
    ],
  );
  assert.deepEqual(acked, [5]);
});

test('a transient error while bisecting is retried with jittered backoff, never sent to the DLQ', async () => {
  const msgs = [1, 2, 3, 4].map((i) => encodeAggregatesMessage([row(i)]));
  const { source } = fakeSource(msgs, 4);
  const { sink, written } = refusingSink({ aggregates: ['sensor_4'] });
  let calls = 0;
  const flaky: RowSink = {
    ...sink,
    insertAggregates: async (rows) => {
      // The second insert (the first half, during bisection) meets a connection reset twice.
      if (++calls === 2 || calls === 3) {
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      }
      await sink.insertAggregates(rows);
    },
  };
  const retries: [number, number, string][] = [];
  const d = deps(source, flaky);
  let r = 0;
  const randoms = [0, 0.999999];
  const task = new WriteTask({
    ...d.deps,
    retry: { initialMs: 100, maxMs: 1_000, jitter: 0.2, random: () => randoms[r++ % 2] ?? 0 },
    onRetry: (attempt, _err, delayMs, cls) => retries.push([attempt, delayMs, cls]),
  });
  await task.step();
  assert.deepEqual(retries, [
    [1, 80, 'connection'],
    [2, 240, 'connection'],
  ]);
  assert.deepEqual(written.aggregates.sort(), ['sensor_1', 'sensor_2', 'sensor_3']);
  assert.deepEqual(
    d.dlq.map((m) => props(m)[PROP.reason]),
    ['rejected_by_clickhouse'],
  );
});

test("a flush tells when the windows it wrote closed: each aggregates envelope's publish time", async () => {
  const published = (m: OutgoingMessage, at: number) => ({ ...m, publishTime: at });
  const { source } = fakeSource(
    [
      published(encodeAggregatesMessage([row(1), row(2)]), 1_000),
      published(encodeAlertsMessage([alert]), 1_500),
      published(encodeAggregatesMessage([row(3)]), 2_000),
    ],
    5,
  );
  const { sink } = refusingSink({});
  const flushed: { windowsClosedAt: unknown }[] = [];
  const task = new WriteTask({ ...deps(source, sink).deps, onFlush: (s) => flushed.push(s) });
  await task.step();
  assert.deepEqual(flushed[0]?.windowsClosedAt, [
    { at: 1_000, rows: 2 },
    { at: 2_000, rows: 1 },
  ]);
});
