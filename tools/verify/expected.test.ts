import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSensorMessage } from '@iot/schema';
import { windowStart, type Alert } from '@iot/windows';
import {
  generateStream,
  resolveParams,
  type GeneratedMessage,
  type GeneratorParams,
} from '@iot/loadgen';
import { alertSignature } from './alert-digest.ts';
import { expectedFromMessages, expectedFromParams } from './expected.ts';

const params: Partial<GeneratorParams> = {
  seed: 9,
  devices: 20,
  startMs: Date.UTC(2024, 0, 1, 12),
  durationMs: 240_000,
  ratePerSec: 25,
  partitions: 2,
  maxOutOfOrdernessMs: 3_000,
  shares: { late: 0.04, outOfOrder: 0.1, duplicate: 0.05, legacyJson: 0.1, malformed: 0.04 },
};

test('expected rows follow from the messages: counts per device and window', () => {
  const exp = expectedFromParams(params);
  assert.deepEqual(exp.tagMismatches, []);
  // Naive recount from the generator's tags and the real decoder.
  const naive = new Map<string, number>();
  for (const m of generateStream(params)) {
    if (m.kind === 'late' || m.kind === 'malformed') continue;
    const r = decodeSensorMessage({ payload: m.payload, eventTime: m.eventTime, publishTime: 0 });
    assert.ok(r.ok);
    if (!r.ok) continue;
    const k = `${r.value.device_id}|${windowStart(r.value.event_time)}`;
    naive.set(k, (naive.get(k) ?? 0) + 1);
  }
  assert.equal(exp.rows.length, naive.size);
  for (const row of exp.rows)
    assert.equal(row.count, naive.get(`${row.device_id}|${row.window_start}`), row.device_id);
  assert.equal(
    exp.rows.reduce((a, r) => a + r.count, 0),
    exp.counts.records,
  );
  const sorted = [...exp.rows].sort((a, b) =>
    a.device_id < b.device_id
      ? -1
      : a.device_id > b.device_id
        ? 1
        : a.window_start - b.window_start,
  );
  assert.deepEqual(exp.rows, sorted, 'rows are ordered by device_id, window_start');
});

test('counts predict records, late and DLQ reasons', () => {
  const exp = expectedFromParams(params);
  const msgs = [...generateStream(params)];
  assert.equal(exp.counts.messages, msgs.length);
  assert.equal(exp.counts.late, msgs.filter((m) => m.kind === 'late').length);
  assert.equal(exp.counts.dlq.late, exp.counts.late);
  const dlqTotal = Object.values(exp.counts.dlq).reduce((a, b) => a + b, 0);
  assert.equal(exp.counts.records + dlqTotal, exp.counts.messages);
  assert.ok((exp.counts.dlq.undecodable ?? 0) > 0 && (exp.counts.dlq.bad_status ?? 0) > 0);
});

test('duplicates count twice in the window, and each copy raises its own alert', () => {
  const hot = { device_id: 'sensor_1' };
  const base = [
    ...generateStream({
      ...params,
      devices: 1,
      shares: undefined,
      ratePerSec: 1,
      durationMs: 60_000,
    }),
  ];
  const first = base[0] as GeneratedMessage;
  const doubled = [first, { ...first, seq: 1, kind: 'duplicate' as const }];
  const exp = expectedFromMessages(doubled, 3_000);
  assert.equal(exp.rows.length, 1);
  assert.equal(exp.rows[0]?.device_id, hot.device_id);
  assert.equal(exp.rows[0]?.count, 2);
  const single = expectedFromMessages([first], 3_000);
  // Two source messages, two readings: the sink keys alerts by reading, so both stay.
  assert.equal(exp.alerts.length, 2 * single.alerts.length);
});

test('a wrong generator tag is reported, not silently trusted', () => {
  const msgs = [...generateStream(params)];
  const goodIndex = msgs.findIndex((m) => m.kind === 'good');
  const badIndex = msgs.findIndex(
    (m) => m.kind === 'malformed' && m.expectedReason !== 'missing_id',
  );
  const doctored = msgs.map((m, i) =>
    i === goodIndex
      ? { ...m, kind: 'late' as const }
      : i === badIndex
        ? { ...m, expectedReason: 'missing_id' as const }
        : m,
  );
  const exp = expectedFromMessages(doctored, resolveParams(params).maxOutOfOrdernessMs);
  assert.equal(exp.tagMismatches.length, 2, exp.tagMismatches.join('\n'));
});

test('window size and alert rules are options', () => {
  const oneMinute = expectedFromParams(params);
  const twoMinutes = expectedFromParams(params, { windowSizeMs: 120_000 });
  assert.ok(twoMinutes.rows.length < oneMinute.rows.length);
  assert.equal(twoMinutes.counts.records, oneMinute.counts.records);
  const strict = expectedFromParams(params, {
    rules: { temperatureHigh: -300, humidityHigh: 1000, batteryLow: -1 },
  });
  assert.equal(
    strict.rows.reduce((a, r) => a + r.alerts_temperature, 0),
    strict.counts.records,
  );
  assert.equal(
    strict.rows.reduce((a, r) => a + r.alerts_battery, 0),
    0,
  );
});

test('onAlert hears every expected alert, also when they are not listed', () => {
  const listed = expectedFromParams(params);
  const heard: Alert[] = [];
  const unlisted = expectedFromParams(params, {
    listAlerts: false,
    onAlert: (a) => heard.push(a),
  });
  assert.ok(listed.alerts.length > 0);
  assert.deepEqual(unlisted.alerts, []);
  assert.deepEqual(new Set(heard.map(alertSignature)), new Set(listed.alerts.map(alertSignature)));
  assert.equal(heard.length, listed.alerts.length);
});
