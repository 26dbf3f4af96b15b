// The writer's tables on a ClickHouse cluster (stack.sh up clickhouse-cluster: two servers,
// shard 1 and shard 2 of `iot_cluster`, ZooKeeper): CLICKHOUSE_CLUSTER's DDL runs ON CLUSTER
// and creates ReplicatedReplacingMergeTree tables behind Distributed ones; a retried batch
// is stored once, by block deduplication on each shard, and a replay cut into other batches
// still reads exactly once through FINAL, because a key always lands on the same shard.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { RECORD_DEFAULTS, type SensorRecord } from '@iot/schema';
import { accumulatorFor, addRecord, finalizeWindow, type AggregateRow } from '@iot/windows';
import { ClickHouseSink } from '@iot/clickhouse';
import { tablesOf } from '../support/clickhouse.ts';
import { auth, clusters, stackCommand, uniqueName } from '../support/stack.ts';

const shards = clusters.clickhouseUrls.map((url) => createClient({ url, ...auth.clickhouse }));
const [first] = shards as [ClickHouseClient, ...ClickHouseClient[]];
const database = uniqueName('it_cluster').replaceAll('-', '_');
const sink = new ClickHouseSink(first, { database, cluster: clusters.clickhouseCluster });
const T0 = 1_700_000_040_000;
const MIN = 60_000;

/** One window of three readings for each of 24 devices × 2 minutes (enough for both shards). */
function windows(): AggregateRow[] {
  const rows: AggregateRow[] = [];
  for (let d = 0; d < 24; d++) {
    for (const start of [T0, T0 + MIN]) {
      const records = [1_000, 20_000, 59_999].map((offset, i): SensorRecord => ({
        device_id: `sensor_${d}`,
        device_type: 'temperature_sensor',
        customer_id: 'customer_0001',
        site_id: 'site_001',
        ...RECORD_DEFAULTS,
        temperature: 20 + d / 10 + i,
        humidity: 50,
        battery_level: 5.69,
        event_time: start + offset,
      }));
      const acc = accumulatorFor(records[0]!, MIN);
      for (const r of records) addRecord(acc, r);
      rows.push(finalizeWindow(acc));
    }
  }
  return rows;
}

async function count(client: ClickHouseClient, table: string): Promise<number> {
  const rows = await (
    await client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })
  ).json<{ n: string }>();
  return Number(rows[0]?.n);
}

before(async () => {
  await stackCommand('up', 'clickhouse-cluster');
  await sink.ensureSchema();
});

after(async () => {
  await first.command({
    query: `DROP DATABASE IF EXISTS ${database} ON CLUSTER ${clusters.clickhouseCluster}`,
  });
  await Promise.all(shards.map((c) => c.close()));
});

test('ensureSchema makes replicated tables on both servers, Distributed in front, and can run again', async () => {
  await sink.ensureSchema();
  for (const shard of shards) {
    assert.deepEqual(await tablesOf(shard, database), [
      { name: 'sensor_aggregates', engine: 'Distributed' },
      { name: 'sensor_aggregates_local', engine: 'ReplicatedReplacingMergeTree' },
      { name: 'sensor_alerts', engine: 'Distributed' },
      { name: 'sensor_alerts_local', engine: 'ReplicatedReplacingMergeTree' },
      { name: 'sensors_local', engine: 'Distributed' },
      { name: 'sensors_local_local', engine: 'ReplicatedReplacingMergeTree' },
    ]);
  }
});

test('a batch goes to both shards; the same batch retried is stored once (block deduplication)', async () => {
  const rows = windows();
  const want = rows.map((r) => ({ ...r, version: 7 }));
  await sink.insertAggregates(want);
  // The writer's retry after a timeout or a crash before the ack: the same rows, same order.
  await sink.insertAggregates(want);

  const perShard = await Promise.all(
    shards.map((s) => count(s, `${database}.sensor_aggregates_local`)),
  );
  assert.ok(
    perShard.every((n) => n > 0),
    `both shards hold rows: ${perShard.join(' + ')}`,
  );
  // Without FINAL: no duplicate reached any shard, so plain counts are right too.
  assert.equal(
    perShard.reduce((a, b) => a + b, 0),
    rows.length,
  );
  assert.equal(await count(first, `${database}.sensor_aggregates`), rows.length);

  const byKey = (a: AggregateRow, b: AggregateRow) =>
    a.device_id.localeCompare(b.device_id) || a.window_start - b.window_start;
  const read = await sink.readAggregatesFinal();
  assert.deepEqual([...read].sort(byKey), [...want].sort(byKey));
  assert.equal(await sink.countAggregatesFinal(), rows.length);
});

test('a replay cut into other batches reads exactly once through FINAL', async () => {
  const rows = windows().map((r) => ({
    ...r,
    window_start: r.window_start + 10 * MIN,
    window_end: r.window_end + 10 * MIN,
    version: 8,
  }));
  const range = { fromMs: T0 + 10 * MIN, toMs: T0 + 12 * MIN };
  await sink.insertAggregates(rows);
  // After a restart the writer batches the replayed stream differently: other blocks, which
  // block deduplication does not recognise, but each key goes to the shard that has it.
  for (let i = 0; i < rows.length; i += 5) await sink.insertAggregates(rows.slice(i, i + 5));
  assert.equal(await sink.countAggregatesFinal(range), rows.length);
  const read = await sink.readAggregatesFinal(range);
  assert.equal(read.length, rows.length);
  assert.ok(read.every((r) => r.version === 8 && r.battery_level_min === 5.69));
});

test('alerts and seed-shaped rows are written through their Distributed tables too', async () => {
  const rows = windows().slice(0, 6);
  await sink.insertSensorsLocal(rows);
  await sink.insertSensorsLocal(rows);
  assert.equal(await count(first, `${database}.sensors_local FINAL`), rows.length);
  const alerts = rows.map((r) => ({
    device_id: r.device_id,
    event_time: r.window_start + 1_234,
    kind: 'high_temperature' as const,
    source: 'reading' as const,
    value: 99.5,
    threshold: 80,
    version: 1,
  }));
  await sink.insertAlerts(alerts);
  await sink.insertAlerts(alerts);
  assert.equal((await sink.readAlertsFinal()).length, alerts.length);
});
