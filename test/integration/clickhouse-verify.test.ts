// The verifier against real ClickHouse: expected rows for a generated stream, written the way
// a crashing writer would (shuffled batches, some replayed), read back through FINAL, compare
// exactly. Proves Float64 round-trips bit-exactly and replays leave no visible trace.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@clickhouse/client';
import { ClickHouseSink } from '@iot/clickhouse';
import { mulberry32 } from '@iot/loadgen';
import { compareRows, expectedFromParams, formatComparison } from '@iot/verify';
import { auth, stack, uniqueName } from '../support/stack.ts';

const client = createClient({ ...auth.clickhouse, url: stack.clickhouseUrl });
const database = uniqueName('it_verify').replaceAll('-', '_');

after(async () => {
  await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await client.close();
});

test('expected rows written with replays read back exact through FINAL', async () => {
  const expected = expectedFromParams({
    seed: 2024,
    devices: 200,
    startMs: Date.UTC(2024, 5, 30, 23, 57), // crosses a month: two partitions
    durationMs: 6 * 60_000,
    ratePerSec: 50,
    partitions: 4,
    maxOutOfOrdernessMs: 5_000,
    shares: { late: 0.02, outOfOrder: 0.1, duplicate: 0.02, legacyJson: 0.05, malformed: 0.02 },
  });
  assert.deepEqual(expected.tagMismatches, []);
  const sink = new ClickHouseSink(client, { database });
  await sink.ensureSchema();

  const rng = mulberry32(7);
  const rows = [...expected.rows].sort(() => rng() - 0.5);
  for (let i = 0; i < rows.length; i += 97) {
    const batch = rows.slice(i, i + 97);
    await sink.insertAggregates(batch);
    if (rng() < 0.4) await sink.insertAggregates(batch); // replay after a simulated crash
  }
  // Each alert with its reading's identity (a source position), as the aggregator sends it:
  // readings that share a device, event time and kind (the stream's duplicates) keep theirs.
  const alerts = expected.alerts.map((a, i) => ({ ...a, reading: `9:${i}:0:-1:0` }));
  await sink.insertAlerts(alerts);
  await sink.insertAlerts(alerts.slice(0, 50)); // replayed: collapses into the same rows

  const comparison = compareRows(expected.rows, await sink.readAggregatesFinal());
  assert.equal(
    formatComparison(comparison),
    `exact: ${expected.rows.length} rows, 0 missing, 0 extra, 0 mismatched`,
  );
  assert.equal((await sink.readAlertsFinal()).length, expected.alerts.length);
});
