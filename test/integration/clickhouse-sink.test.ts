// ClickHouseSink against the stack's real ClickHouse (18.16 locally): schema, idempotent
// inserts through ReplacingMergeTree + FINAL, versions, filters, seed-shaped rows, alerts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@clickhouse/client';
import type { SensorRecord } from '@iot/schema';
import { RECORD_DEFAULTS } from '@iot/schema';
import {
  accumulatorFor,
  addRecord,
  alertsFor,
  finalizeWindow,
  type AggregateRow,
} from '@iot/windows';
import { ClickHouseSink } from '@iot/clickhouse';
import { tablesOf } from '../support/clickhouse.ts';
import { auth, stack, uniqueName } from '../support/stack.ts';

const client = createClient({ ...auth.clickhouse, url: stack.clickhouseUrl });
const database = uniqueName('it_sink').replaceAll('-', '_');
const sink = new ClickHouseSink(client, { database });
const T0 = 1_700_000_040_000;
const MIN = 60_000;

function reading(
  device: string,
  t: number,
  temperature: number,
  patch: Partial<SensorRecord> = {},
): SensorRecord {
  return {
    device_id: device,
    device_type: 'temperature_sensor',
    customer_id: 'customer_0001',
    site_id: 'site_001',
    ...RECORD_DEFAULTS,
    humidity: 50,
    battery_level: 70,
    temperature,
    event_time: t,
    ...patch,
  };
}

/** Windows for 3 devices × 2 minutes, built with the real accumulator. */
function sampleRows(): AggregateRow[] {
  const rows: AggregateRow[] = [];
  for (const device of ['sensor_1', 'sensor_2', "sensor_o'brien\\x"]) {
    for (const start of [T0, T0 + MIN]) {
      const records = [
        reading(device, start + 1_000, 0.1, { status: 2, bytes_sent: 2 ** 40 }),
        reading(device, start + 2_000, 0.2, { motion_detected: 1, battery_level: 5.69 }),
        reading(device, start + 59_999, 36.6, { error_count: 3 }),
      ];
      const acc = accumulatorFor(records[0] as SensorRecord, MIN);
      for (const r of records) addRecord(acc, r);
      rows.push(finalizeWindow(acc));
    }
  }
  return rows.sort((a, b) =>
    a.device_id < b.device_id
      ? -1
      : a.device_id > b.device_id
        ? 1
        : a.window_start - b.window_start,
  );
}

async function rawCount(table: string): Promise<number> {
  const rows = await (
    await client.query({
      query: `SELECT count() AS n FROM ${database}.${table}`,
      format: 'JSONEachRow',
    })
  ).json<{ n: string }>();
  return Number(rows[0]?.n);
}

before(async () => {
  await sink.ensureSchema();
});

after(async () => {
  await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await client.close();
});

test('ensureSchema creates the three ReplacingMergeTree tables and can run again', async () => {
  await sink.ensureSchema();
  assert.deepEqual(await tablesOf(client, database), [
    { name: 'sensor_aggregates', engine: 'ReplacingMergeTree' },
    { name: 'sensor_alerts', engine: 'ReplacingMergeTree' },
    { name: 'sensors_local', engine: 'ReplacingMergeTree' },
  ]);
});

test('aggregates read back bit-exactly; a replayed batch changes nothing visible', async () => {
  const rows = sampleRows();
  await sink.insertAggregates(rows);
  const first = await sink.readAggregatesFinal();
  assert.deepEqual(
    first,
    rows.map((r) => ({ ...r, version: 0 })),
  );
  // 18.16 parses "5.69" in JSONEachRow as 5.6899999999999995; RowBinary inserts keep the bits.
  assert.equal(first[0]?.battery_level_min, 5.69);

  await sink.insertAggregates(rows); // the writer crashed before acking and replays
  assert.deepEqual(await sink.readAggregatesFinal(), first);
  assert.equal(await sink.countAggregatesFinal(), rows.length);
  assert.equal(
    await rawCount('sensor_aggregates'),
    rows.length * 2,
    'duplicates exist until merged',
  );
  await client.command({ query: `OPTIMIZE TABLE ${database}.sensor_aggregates FINAL` });
  assert.equal(await rawCount('sensor_aggregates'), rows.length, 'a merge collapses them');
  assert.deepEqual(await sink.readAggregatesFinal(), first);
});

test('a higher version replaces a row, a lower one does not', async () => {
  const [row] = sampleRows();
  assert.ok(row);
  const key = { deviceIds: [row.device_id], fromMs: row.window_start, toMs: row.window_start + 1 };
  await sink.insertAggregates([{ ...row, count: 99, version: 5 }]);
  await sink.insertAggregates([{ ...row, count: 42, version: 2 }]);
  const got = await sink.readAggregatesFinal(key);
  assert.equal(got.length, 1);
  assert.equal(got[0]?.count, 99);
  assert.equal(got[0]?.version, 5);
});

test('filters select by device (quotes and backslashes included) and window range', async () => {
  const odd = "sensor_o'brien\\x";
  const byDevice = await sink.readAggregatesFinal({ deviceIds: [odd] });
  assert.deepEqual(
    byDevice.map((r) => [r.device_id, r.window_start]),
    [
      [odd, T0],
      [odd, T0 + MIN],
    ],
  );
  const second = await sink.readAggregatesFinal({ fromMs: T0 + MIN, toMs: T0 + 2 * MIN });
  assert.deepEqual(
    second.map((r) => r.window_start),
    [T0 + MIN, T0 + MIN, T0 + MIN],
  );
  assert.deepEqual(await sink.readAggregatesFinal({ deviceIds: [] }), []);
  assert.equal((await sink.readAggregatesFinal({ limit: 2 })).length, 2);
});

test('sensors_local gets one seed-shaped row per device and window, idempotently', async () => {
  const rows = sampleRows();
  await sink.insertSensorsLocal(rows);
  await sink.insertSensorsLocal(rows);
  const got = await (
    await client.query({
      query: `SELECT device_id, toUInt32(time) AS t, temperature, status, motion_detected, error_count, bytes_sent
              FROM ${database}.sensors_local FINAL ORDER BY device_id, t`,
      format: 'JSONEachRow',
    })
  ).json<Record<string, string | number>>();
  assert.equal(got.length, rows.length);
  const r0 = rows[0] as AggregateRow;
  assert.deepEqual(got[0], {
    device_id: r0.device_id,
    t: r0.window_start / 1000,
    temperature: r0.temperature_avg,
    status: 1, // online 2×, offline 1×
    motion_detected: 1,
    error_count: 3,
    bytes_sent: String(2 ** 40),
  });
});

test('alerts: a replayed alert is one row', async () => {
  const alerts = [
    ...alertsFor(reading('sensor_1', T0 + 5_123, 40, { battery_level: 5 })),
    ...alertsFor(reading('sensor_2', T0 + 7_000, 36)),
  ];
  assert.equal(alerts.length, 3);
  await sink.insertAlerts(alerts);
  await sink.insertAlerts(alerts);
  const got = await sink.readAlertsFinal();
  assert.deepEqual(
    got,
    alerts.map((a) => ({ ...a, version: 0 })),
  );
  assert.deepEqual((await sink.readAlertsFinal({ deviceIds: ['sensor_2'] })).length, 1);
  assert.deepEqual((await sink.readAlertsFinal({ fromMs: T0 + 6_000 })).length, 1);
});

test('alerts of two readings with one device, event time and kind both stay; replays collapse', async () => {
  // Found by the chaos run: readings of one device share an event time in ms (13,285 in a
  // 5-minute stream). Keyed without the reading, FINAL kept one of them, chosen by insert order.
  const [hot] = alertsFor(reading('sensor_9', T0 + 9_000, 40));
  const [hotter] = alertsFor(reading('sensor_9', T0 + 9_000, 41));
  const a = { ...hot!, reading: '12:7:0:-1:0' };
  const b = { ...hotter!, reading: '12:8:0:-1:0' };
  await sink.insertAlerts([b, a]);
  await sink.insertAlerts([a]); // a replay of one reading, after the other
  const got = await sink.readAlertsFinal({ deviceIds: ['sensor_9'] });
  assert.deepEqual(
    got,
    [a, b].map((x) => ({ ...x, version: 0 })),
  );
});

test('empty batches are no-ops', async () => {
  await sink.insertAggregates([]);
  await sink.insertSensorsLocal([]);
  await sink.insertAlerts([]);
});
