import { test } from 'node:test';
import assert from 'node:assert/strict';

import { normalizeClickHouseUrl } from './clickhouse-url.ts';

test('http URLs pass through', () => {
  assert.equal(normalizeClickHouseUrl('http://127.0.0.1:8123'), 'http://127.0.0.1:8123');
  assert.equal(normalizeClickHouseUrl('https://ch:8443/benchmark'), 'https://ch:8443/benchmark');
});

test("the seed's JDBC URL becomes the HTTP URL with its database", () => {
  assert.equal(
    normalizeClickHouseUrl(
      'jdbc:clickhouse://clickhouse-iot-cluster-repl.clickhouse.svc.cluster.local:8123/benchmark',
    ),
    'http://clickhouse-iot-cluster-repl.clickhouse.svc.cluster.local:8123/benchmark',
  );
  assert.equal(normalizeClickHouseUrl('jdbc:ch://ch:8123/db'), 'http://ch:8123/db');
  assert.equal(normalizeClickHouseUrl('jdbc:clickhouse:https://ch:8443/db'), 'https://ch:8443/db');
});

test('JDBC ssl, user and password options are kept, others dropped', () => {
  assert.equal(
    normalizeClickHouseUrl(
      'jdbc:clickhouse://ch:8443/db?ssl=true&user=iot&password=pw&socket_timeout=30000',
    ),
    'https://iot:pw@ch:8443/db',
  );
});

test('anything else is rejected', () => {
  for (const text of [
    'clickhouse:8123',
    'tcp://ch:9000',
    'jdbc:mysql://db:3306/x',
    'jdbc:clickhouse://',
  ]) {
    assert.equal(normalizeClickHouseUrl(text), undefined, text);
  }
});
