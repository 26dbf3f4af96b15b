import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeSensorMessage } from '@iot/schema';
import { alertsFor, WatermarkTracker } from '@iot/windows';
import {
  eventTimeBounds,
  generateStream,
  messageCount,
  partitionFor,
  resolveParams,
  summarizeStream,
  type GeneratorParams,
} from './generator.ts';

const mixed: Partial<GeneratorParams> = {
  seed: 42,
  devices: 50,
  startMs: Date.UTC(2024, 0, 1),
  durationMs: 180_000,
  ratePerSec: 40,
  partitions: 3,
  maxOutOfOrdernessMs: 2_000,
  shares: { late: 0.05, outOfOrder: 0.1, duplicate: 0.05, legacyJson: 0.1, malformed: 0.05 },
};

function digest(params: Partial<GeneratorParams>): string {
  const h = createHash('sha256');
  for (const m of generateStream(params)) {
    h.update(
      `${m.seq}|${m.key}|${m.partition}|${m.eventTime}|${m.kind}|${m.expectedReason ?? ''}|`,
    );
    h.update(m.payload);
  }
  return h.digest('hex');
}

test('same seed and parameters give a byte-identical stream; another seed does not', () => {
  assert.equal(digest(mixed), digest({ ...mixed }));
  assert.notEqual(digest(mixed), digest({ ...mixed, seed: 43 }));
  assert.notEqual(digest(mixed), digest({ ...mixed, shares: { ...mixed.shares!, late: 0.06 } }));
});

test('message count and time range follow duration and rate', () => {
  const p = resolveParams(mixed);
  const msgs = [...generateStream(p)];
  assert.equal(msgs.length, messageCount(p));
  assert.equal(msgs.length, 7_200);
  assert.deepEqual(
    msgs.map((m) => m.seq),
    msgs.map((_, i) => i),
  );
  const good = msgs.filter((m) => m.kind === 'good');
  assert.ok(good.every((m) => m.eventTime >= p.startMs && m.eventTime < p.startMs + p.durationMs));
  assert.ok(
    good.every((m, i) => i === 0 || m.eventTime >= (good[i - 1]?.eventTime ?? 0)),
    'good messages advance in time',
  );
  const ids = new Set(msgs.map((m) => m.key));
  assert.ok(ids.size > 45 && [...ids].every((k) => /^sensor_([1-9]|[1-4][0-9]|50)$/.test(k)));
});

test('every tag is what the real decoder and the ingest watermark rule make of the message', () => {
  const p = resolveParams(mixed);
  const trackers = new Map<number, WatermarkTracker>();
  const kinds = new Map<string, number>();
  for (const m of generateStream(p)) {
    kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
    assert.equal(m.partition, partitionFor(m.key, p.partitions));
    const r = decodeSensorMessage({ payload: m.payload, eventTime: m.eventTime, publishTime: 1 });
    if (m.kind === 'malformed') {
      assert.equal(r.ok, false, `seq ${m.seq} should be rejected`);
      if (!r.ok) assert.equal(r.reason, m.expectedReason, `seq ${m.seq}: ${r.detail}`);
      continue;
    }
    assert.ok(r.ok, `seq ${m.seq} (${m.kind}) should decode: ${r.ok ? '' : r.detail}`);
    if (!r.ok) continue;
    assert.equal(r.value.device_id, m.key);
    assert.equal(r.value.event_time, m.eventTime);
    let t = trackers.get(m.partition);
    if (t === undefined)
      trackers.set(
        m.partition,
        (t = new WatermarkTracker(
          { maxOutOfOrdernessMs: p.maxOutOfOrdernessMs, idleTimeoutMs: 0 },
          0,
        )),
      );
    assert.equal(
      t.observe('p', r.value.event_time, 0),
      m.kind === 'late',
      `seq ${m.seq} kind ${m.kind}`,
    );
  }
  for (const k of ['good', 'out_of_order', 'duplicate', 'legacy_json', 'late', 'malformed']) {
    assert.ok((kinds.get(k) ?? 0) > 50, `${k}: ${kinds.get(k)}`);
  }
});

test('duplicates repeat an earlier message byte for byte', () => {
  const msgs = [...generateStream(mixed)];
  const seen = new Set<string>();
  for (const m of msgs) {
    const id = `${m.key}|${m.eventTime}|${m.payload.toString('hex')}`;
    if (m.kind === 'duplicate') assert.ok(seen.has(id), `seq ${m.seq} is not a repeat`);
    seen.add(id);
  }
});

test('summary counts match the stream and predict the DLQ', () => {
  const s = summarizeStream(mixed);
  const msgs = [...generateStream(mixed)];
  assert.equal(s.messages, msgs.length);
  assert.equal(s.late, msgs.filter((m) => m.kind === 'late').length);
  assert.equal(s.records, msgs.filter((m) => m.kind !== 'late' && m.kind !== 'malformed').length);
  assert.equal(
    Object.values(s.dlqByReason).reduce((a, b) => a + b, 0),
    s.byKind.malformed,
  );
  assert.deepEqual(Object.keys(s.dlqByReason).sort(), [
    'bad_status',
    'missing_id',
    'nan_value',
    'out_of_range',
    'undecodable',
  ]);
  assert.equal(
    s.perPartition.reduce((a, b) => a + b, 0),
    s.messages,
  );
});

test('a clean stream has only good messages', () => {
  const s = summarizeStream({ seed: 1, devices: 10, durationMs: 60_000, ratePerSec: 10 });
  assert.deepEqual(s.byKind, {
    good: 600,
    out_of_order: 0,
    duplicate: 0,
    legacy_json: 0,
    late: 0,
    malformed: 0,
  });
});

test('bad parameters are refused with the field named', () => {
  assert.throws(() => resolveParams({ devices: 0 }), /devices/);
  assert.throws(() => resolveParams({ ratePerSec: 0 }), /ratePerSec/);
  assert.throws(
    () =>
      resolveParams({
        shares: { late: 0.6, outOfOrder: 0.6, duplicate: 0, legacyJson: 0, malformed: 0 },
      }),
    /shares/,
  );
  assert.throws(() => resolveParams({ firstSensorId: 2 ** 31 }), /AVRO int/);
  assert.equal(resolveParams().devices, 1000, 'default 1000 devices');
});

test('partitioning is stable and spreads devices', () => {
  assert.equal(partitionFor('sensor_1', 4), partitionFor('sensor_1', 4));
  const counts = [0, 0, 0, 0];
  for (let i = 1; i <= 1000; i++) counts[partitionFor(`sensor_${i}`, 4)]!++;
  assert.ok(
    counts.every((c) => c > 150),
    JSON.stringify(counts),
  );
});

test('eventTimeBounds holds every event time, late ones included', () => {
  const p = {
    seed: 11,
    devices: 50,
    startMs: Date.UTC(2024, 0, 1, 1),
    durationMs: 120_000,
    ratePerSec: 200,
    partitions: 3,
    maxOutOfOrdernessMs: 5_000,
    shares: { late: 0.2, outOfOrder: 0.2, duplicate: 0.1, legacyJson: 0, malformed: 0 },
  };
  const { fromMs, toMs } = eventTimeBounds(p);
  let min = Infinity;
  for (const m of generateStream(p)) {
    min = Math.min(min, m.eventTime);
    assert.ok(m.eventTime >= fromMs && m.eventTime < toMs, `seq ${m.seq} at ${m.eventTime}`);
  }
  assert.ok(min < p.startMs - p.maxOutOfOrdernessMs - 30_000, 'late messages reach far back');
});

test("the 'realistic' profile: about 1 % alerts, silent and bursting devices, still deterministic", () => {
  const params = {
    seed: 5,
    profile: 'realistic' as const,
    devices: 1000,
    durationMs: 60_000,
    ratePerSec: 2000,
  };
  const perDevice = new Map<number, number>();
  let alerts = 0;
  let readings = 0;
  for (const m of generateStream(params)) {
    const decoded = decodeSensorMessage({ payload: m.payload, publishTime: m.eventTime });
    assert.ok(decoded.ok);
    readings++;
    if (alertsFor(decoded.value).length > 0) alerts++;
    const id = Number(m.key.slice('sensor_'.length));
    perDevice.set(id, (perDevice.get(id) ?? 0) + 1);
  }
  const share = alerts / readings;
  assert.ok(share > 0.005 && share < 0.02, `alert share ${share}`);
  // Every 33rd device is silent; every 50th bursts with about a fifth of all readings.
  const silent = [...Array(1000).keys()].map((i) => i + 1).filter((id) => !perDevice.has(id));
  assert.deepEqual(
    silent,
    [...Array(30).keys()].map((k) => 33 * (k + 1)),
  );
  const burst = [...Array(20).keys()].reduce((n, k) => n + (perDevice.get(1 + 50 * k) ?? 0), 0);
  assert.ok(
    burst / readings > 0.18 && burst / readings < 0.25,
    `bursting share ${burst / readings}`,
  );
  const again = [...generateStream(params)].map((m) => m.payload.toString('hex')).join();
  const first = [...generateStream(params)].map((m) => m.payload.toString('hex')).join();
  assert.equal(again, first);
});
