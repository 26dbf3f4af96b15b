// The writer against the real ClickHouse (18.16 locally) and the real broker: rows that
// ClickHouse refuses sit in one batch with good rows. The good rows are written to both row
// tables, each refused row or alert is in the DLQ topic with ClickHouse's error text and in
// neither table, the input is acked, and the next batch is written: no stall.
//
// The real refusal: rows a MATERIALIZED throwIf(...) column added to this run's tables makes
// the server refuse (Code 395: 18.16 has no CONSTRAINT, and RowBinary takes any bytes for our
// column types). A window whose error_count total passes sensors_local's UInt32 (the issue's
// 5,000,000,000) rides along: it is not refused but stored capped there and exact in
// sensor_aggregates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@clickhouse/client';
import {
  batchSource,
  decodeOutputMessage,
  encodeAggregatesMessage,
  encodeAlertsMessage,
  PROP,
  publishAll,
} from '@iot/channel';
import { ClickHouseSink } from '@iot/clickhouse';
import { type Consumer, type Message } from '@iot/pulsar';
import { RECORD_DEFAULTS } from '@iot/schema';
import { outputProducer } from '@iot/stage';
import {
  accumulatorFor,
  addRecord,
  finalizeWindow,
  type AggregateRow,
  type Alert,
} from '@iot/windows';
import { WriteTask } from '../../services/writer/src/write-task.ts';
import { uniqueTopic, withTimeout, stackClient } from '../support/pulsar.ts';
import { auth, stack, uniqueName } from '../support/stack.ts';

const clickhouse = createClient({ ...auth.clickhouse, url: stack.clickhouseUrl });
const database = uniqueName('it_writer_rejected').replaceAll('-', '_');
const sink = new ClickHouseSink(clickhouse, { database });
const pulsar = stackClient();
const T0 = 1_700_000_040_000;
const MIN = 60_000;

function window(device: string, start: number): AggregateRow {
  const reading = {
    device_id: device,
    device_type: 'temperature_sensor',
    customer_id: 'customer_0001',
    site_id: 'site_001',
    ...RECORD_DEFAULTS,
    temperature: 21.5,
    humidity: 50,
    battery_level: 70,
    event_time: start + 1_000,
  };
  const acc = accumulatorFor(reading, MIN);
  addRecord(acc, reading);
  return finalizeWindow(acc);
}

const alert = (device: string, t: number): Alert => ({
  device_id: device,
  event_time: t,
  kind: 'low_battery',
  source: 'reading',
  value: 5,
  threshold: 20,
});

async function select(query: string): Promise<Record<string, string | number>[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json();
}

async function devices(table: string): Promise<string[]> {
  const rows = await select(
    `SELECT DISTINCT device_id FROM ${database}.${table} ORDER BY device_id`,
  );
  return rows.map((r) => String(r.device_id));
}

async function drain(consumer: Consumer, count: number): Promise<Message[]> {
  const got: Message[] = [];
  while (got.length < count) {
    const batch = await consumer.receiveBatch(count - got.length, 5_000);
    assert.ok(batch.length > 0, `DLQ: ${got.length}/${count} messages, then nothing`);
    got.push(...batch);
  }
  return got;
}

before(async () => {
  await sink.ensureSchema();
  // The server refuses these rows as a CONSTRAINT would (current releases: code 469).
  for (const table of ['sensors_local', 'sensor_alerts']) {
    await clickhouse.command({
      query: `ALTER TABLE ${database}.${table} ADD COLUMN poison_check UInt8 MATERIALIZED throwIf(device_id = 'poison_device')`,
    });
  }
});

after(async () => {
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await clickhouse.close();
  await pulsar.close();
});

test(
  'refused rows go to the DLQ with ClickHouse’s error, the rest is written, the writer goes on',
  { timeout: 120_000 },
  async () => {
    const inputTopic = uniqueTopic('writer-rejected-in');
    const dlqTopic = uniqueTopic('writer-rejected-dlq');
    const input = await pulsar.subscribe({
      topic: inputTopic,
      subscription: 'writer',
      type: 'Shared',
      initialPosition: 'Earliest',
    });
    const dlqReader = await pulsar.subscribe({
      topic: dlqTopic,
      subscription: 'check',
      initialPosition: 'Earliest',
    });
    const producer = await pulsar.createProducer({ topic: inputTopic });
    const dlq = await outputProducer(pulsar, dlqTopic, 'round-robin');

    const good = Array.from({ length: 40 }, (_, i) =>
      window(`good_${String(i).padStart(2, '0')}`, T0),
    );
    const tooBig = { ...window('too_big', T0), error_count: 5_000_000_000 };
    const poison = window('poison_device', T0);
    const batch1 = [
      ...good.slice(0, 13).map((r) => encodeAggregatesMessage([r])),
      encodeAggregatesMessage([tooBig]),
      ...good.slice(13, 30).map((r) => encodeAggregatesMessage([r])),
      encodeAggregatesMessage([poison]),
      encodeAlertsMessage([alert('good_00', T0 + 1_000)]),
      encodeAlertsMessage([alert('poison_device', T0 + 2_000)]),
      ...good.slice(30).map((r) => encodeAggregatesMessage([r])),
    ];
    await publishAll(producer, batch1);

    const retries: string[] = [];
    const task = new WriteTask({
      source: batchSource(input, (m) => ({ payload: m.payload, properties: m.properties })),
      sink,
      publishDlq: (ms) => publishAll(dlq, ms),
      batchSize: 1_000,
      flushIntervalMs: 2_000,
      flushIdleMs: 300,
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      retry: { initialMs: 50, maxMs: 500 },
      onRetry: (_attempt, err, _delay, cls) => retries.push(`${cls}: ${String(err)}`),
    });
    let handled = 0;
    while (handled < batch1.length) {
      handled += await withTimeout(task.step(), 30_000, 'writer step with refused rows');
    }
    assert.equal(handled, batch1.length);
    assert.deepEqual(retries, [], 'a refusal is not retried');

    // Good rows in both row tables; refused ones in neither, so the tables agree. A window
    // whose error_count total passes UInt32 is not refused: sensors_local stores it capped
    // at 4294967295, sensor_aggregates exact (libs/schema columns).
    const goodIds = [...good.map((r) => r.device_id), 'too_big'];
    assert.deepEqual(await devices('sensor_aggregates'), goodIds);
    assert.deepEqual(await devices('sensors_local'), goodIds);
    assert.deepEqual(await devices('sensor_alerts'), ['good_00']);

    const dead = await drain(dlqReader, 2);
    const byDevice = new Map(
      dead.map((m) => {
        const d = decodeOutputMessage({ payload: m.payload, properties: m.properties });
        return [
          d.kind === 'aggregates' ? d.rows[0]!.device_id : `alert:${d.alerts[0]!.device_id}`,
          m,
        ];
      }),
    );
    assert.deepEqual([...byDevice.keys()].sort(), ['alert:poison_device', 'poison_device']);
    for (const m of dead) assert.equal(m.properties[PROP.reason], 'rejected_by_clickhouse');
    // ClickHouse's own text, as 18.16 words it ("Code: 395, e.displayText() = …") and as
    // current releases do ("Code: 395. DB::Exception: …").
    assert.match(
      byDevice.get('poison_device')?.properties[PROP.detail] ?? '',
      /^sensors_local: Code: 395[.,].*Value passed to 'throwIf' function is non zero/,
    );
    assert.match(
      byDevice.get('alert:poison_device')?.properties[PROP.detail] ?? '',
      /^sensor_alerts: Code: 395[.,].*throwIf/,
    );
    for (const m of dead) await dlqReader.ack(m);

    // Acked: the next batch is new data only, and it is written.
    const next = [window('after_01', T0 + MIN), window('after_02', T0 + MIN)];
    await publishAll(
      producer,
      next.map((r) => encodeAggregatesMessage([r])),
    );
    let more = 0;
    while (more < next.length) more += await withTimeout(task.step(), 30_000, 'the next batch');
    assert.equal(more, next.length, 'nothing of the first batch came back');
    assert.deepEqual(
      await devices('sensor_aggregates'),
      [...goodIds, 'after_01', 'after_02'].sort(),
    );

    await producer.close();
    await dlq.close();
    await input.close();
    await dlqReader.close();
  },
);
