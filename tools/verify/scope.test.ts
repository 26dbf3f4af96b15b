import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedFromParams } from './expected.ts';
import { MAX_DEVICES_IN_SQL, scopeFilter, streamScope } from './scope.ts';

const params = {
  seed: 5,
  devices: 40,
  firstSensorId: 100,
  startMs: Date.UTC(2024, 0, 1, 0, 10),
  durationMs: 150_000,
  ratePerSec: 20,
  partitions: 2,
  maxOutOfOrdernessMs: 5_000,
  shares: { late: 0.05, outOfOrder: 0.1, duplicate: 0, legacyJson: 0, malformed: 0 },
};

test('scope: the stream devices and the windows of its expected rows', () => {
  const { rows } = expectedFromParams(params);
  const scope = streamScope(params, 60_000, rows);
  assert.equal(scope.deviceIds.length, 40);
  assert.equal(scope.deviceIds[0], 'sensor_100');
  for (const r of rows) assert.ok(r.window_start >= scope.fromMs && r.window_start < scope.toMs);
  assert.ok(scope.fromMs >= Date.UTC(2024, 0, 1, 0, 9));
  assert.equal(scope.toMs, Date.UTC(2024, 0, 1, 0, 13));
  assert.deepEqual(scopeFilter(scope).deviceIds, scope.deviceIds);
});

test('scope without rows spans the event times; big device sets stay out of the SQL', () => {
  const scope = streamScope({ ...params, devices: MAX_DEVICES_IN_SQL + 1 }, 60_000, []);
  assert.equal(scope.fromMs, Date.UTC(2024, 0, 1, 0, 8));
  assert.equal(scope.toMs, Date.UTC(2024, 0, 1, 0, 13));
  assert.equal(scopeFilter(scope).deviceIds, undefined);
});
