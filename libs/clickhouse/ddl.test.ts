import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGGREGATE_COLUMNS, METRICS } from '@iot/windows';
import { RECORD_FIELDS } from '@iot/schema';
import {
  SENSORS_LOCAL_COLUMNS,
  aggregateColumnType,
  clusterSchemaStatements,
  schemaStatements,
} from './ddl.ts';

test('creates benchmark and its three tables, idempotently', () => {
  const sql = schemaStatements();
  assert.equal(sql.length, 4);
  assert.equal(sql[0], 'CREATE DATABASE IF NOT EXISTS benchmark');
  for (const t of ['sensors_local', 'sensor_aggregates', 'sensor_alerts']) {
    assert.ok(
      sql.some((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS benchmark.${t} (`)),
      t,
    );
  }
  assert.ok(schemaStatements('it_x')[1]?.includes('it_x.sensors_local'));
  assert.throws(() => schemaStatements('bad-name'), /identifier/);
});

test('uses only what ClickHouse 18.16 understands', () => {
  const all = schemaStatements().join('\n');
  for (const banned of [
    'DateTime64',
    'LowCardinality',
    'JSON',
    'Nullable',
    'CODEC',
    'TTL',
    'SETTINGS',
    'Object(',
  ]) {
    assert.ok(!all.includes(banned), banned);
  }
  const engines = all.match(/ENGINE = \w+/g) ?? [];
  assert.deepEqual(engines, [
    'ENGINE = ReplacingMergeTree',
    'ENGINE = ReplacingMergeTree',
    'ENGINE = ReplacingMergeTree',
  ]);
});

test('sensor_aggregates: one row per device and window, versioned', () => {
  const ddl = schemaStatements()[2] ?? '';
  assert.match(
    ddl,
    /ENGINE = ReplacingMergeTree\(version\)\nPARTITION BY toYYYYMM\(window_start\)\nORDER BY \(device_id, window_start\)/,
  );
  for (const c of AGGREGATE_COLUMNS) assert.match(ddl, new RegExp(`\\n    ${c} \\w+`), c);
  for (const m of METRICS) {
    for (const s of ['min', 'max', 'avg', 'sum'])
      assert.equal(aggregateColumnType(`${m}_${s}`), 'Float64');
    assert.equal(aggregateColumnType(`${m}_count`), 'UInt32');
  }
  assert.equal(aggregateColumnType('window_start'), 'DateTime');
  assert.equal(aggregateColumnType('bytes_sent'), 'UInt64');
  assert.equal(aggregateColumnType('motion_count'), 'UInt32');
  assert.equal(aggregateColumnType('site_id'), 'String');
  assert.match(ddl, /\n {4}version UInt64\n/);
});

test('sensors_local keeps the seed columns: the 24 record fields plus time', () => {
  const names = SENSORS_LOCAL_COLUMNS.map(([n]) => n);
  assert.equal(names.length, 25);
  assert.deepEqual(
    names.filter((n) => n !== 'time').sort(),
    RECORD_FIELDS.filter((f) => f !== 'event_time').sort(),
  );
  assert.match(schemaStatements()[1] ?? '', /ORDER BY \(device_id, time\)/);
});

test('sensor_alerts is keyed by reading, so a replayed alert is one row and none is lost', () => {
  assert.match(
    schemaStatements()[3] ?? '',
    /ReplacingMergeTree\(version\)[\s\S]*ORDER BY \(device_id, event_time_ms, kind, source, reading\)/,
  );
});

test('on a cluster: replicated tables per shard ON CLUSTER, a Distributed table of the plain name in front', () => {
  const sql = clusterSchemaStatements('it_x', 'iot_cluster');
  assert.equal(sql[0], 'CREATE DATABASE IF NOT EXISTS it_x ON CLUSTER iot_cluster');
  assert.equal(sql.length, 1 + 2 * 3);
  for (const s of sql)
    assert.match(s, /^CREATE (DATABASE|TABLE) IF NOT EXISTS it_x\S* ON CLUSTER iot_cluster/);
  const agg = sql.find((s) => s.includes('it_x.sensor_aggregates_local ')) ?? '';
  // The explicit-arguments form: 18.16 has no default path or replica name.
  assert.match(
    agg,
    /ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/it_x\/sensor_aggregates_local', '\{replica\}', version\)\nPARTITION BY toYYYYMM\(window_start\)\nORDER BY \(device_id, window_start\)/,
  );
  assert.match(
    sql.find((s) => s.includes('it_x.sensors_local_local ')) ?? '',
    /ReplicatedReplacingMergeTree\('[^']+', '\{replica\}'\)/,
  );
  // Sharded by device_id, the first key column of every table: a key never spans two shards.
  for (const t of ['sensors_local', 'sensor_aggregates', 'sensor_alerts']) {
    assert.match(
      sql.find((s) => s.includes(`it_x.${t} ON CLUSTER`)) ?? '',
      new RegExp(
        `ENGINE = Distributed\\(iot_cluster, it_x, ${t}_local, cityHash64\\(device_id\\)\\)$`,
      ),
    );
  }
  assert.throws(() => clusterSchemaStatements('it_x', 'bad-cluster'), /identifier/);
});
