// The local ClickHouse is real and reachable through @clickhouse/client, the client the writer uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@clickhouse/client';
import { auth, stack, uniqueName } from '../support/stack.ts';

test('ClickHouse: @clickhouse/client creates a table, inserts and reads rows back', async () => {
  const client = createClient({ ...auth.clickhouse, url: stack.clickhouseUrl });
  const db = uniqueName('stack_test').replaceAll('-', '_');
  try {
    await client.command({ query: `CREATE DATABASE ${db}` });
    await client.command({
      query: `CREATE TABLE ${db}.readings (device_id String, t DateTime, v Float64)
              ENGINE = MergeTree() PARTITION BY toYYYYMM(t) ORDER BY (device_id, t)`,
    });
    await client.insert({
      table: `${db}.readings`,
      format: 'JSONEachRow',
      values: [
        { device_id: 'sensor_2', t: '2026-01-01 00:00:01', v: 2.5 },
        { device_id: 'sensor_1', t: '2026-01-01 00:00:00', v: 1.25 },
      ],
    });
    const result = await client.query({
      query: `SELECT device_id, v, count() AS n FROM ${db}.readings GROUP BY device_id, v ORDER BY device_id`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ device_id: string; v: number; n: string | number }>();
    assert.deepEqual(
      rows.map((r) => [r.device_id, r.v, Number(r.n)]),
      [
        ['sensor_1', 1.25, 1],
        ['sensor_2', 2.5, 1],
      ],
    );
  } finally {
    await client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await client.close();
  }
});
