import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLegacyJson, MAX_JSON_BYTES, MAX_JSON_DEPTH } from './legacy-json.ts';
import type { SensorRecord } from './record.ts';
import type { Result } from './result.ts';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const ok = (r: Result<SensorRecord>): SensorRecord => {
  assert.equal(r.ok, true, r.ok ? '' : `${r.reason}: ${r.detail}`);
  return (r as { value: SensorRecord }).value;
};
const rejected = (r: Result<SensorRecord>, reason: string): void => {
  assert.equal(r.ok, false, 'expected a rejection');
  if (!r.ok) assert.equal(r.reason, reason, r.detail);
};

test('old field names map like the AVRO reading', () => {
  const r = ok(
    decodeLegacyJson(
      json({
        sensorId: 12345,
        sensorType: 1,
        timestamp: 1_700_000_000_000,
        temperature: 20.5,
        humidity: 41,
        pressure: 1000,
        batteryLevel: 77,
        status: 1,
      }),
      5,
    ),
  );
  assert.equal(r.device_id, 'sensor_12345');
  assert.equal(r.device_type, 'temperature_sensor');
  assert.equal(r.site_id, 'site_045');
  assert.equal(r.customer_id, 'customer_0001');
  assert.equal(r.battery_level, 77);
  assert.equal(r.event_time, 1_700_000_000_000);
  assert.equal(r.status, 1);
});

test('new field names are taken as given, including customer, site and extra metrics', () => {
  const r = ok(
    decodeLegacyJson(
      json({
        device_id: 'sensor_77',
        device_type: 'air_quality',
        customer_id: 'customer_0042',
        site_id: 'site_berlin',
        latitude: 52.5,
        longitude: 13.4,
        temperature: 19,
        co2_level: 612.5,
        motion_detected: true,
        battery_level: 64,
        signal_strength: -71,
        status: 'maintenance',
        error_count: 3,
        packets_sent: 100,
        packets_received: 98,
        bytes_sent: 4096,
        bytes_received: 2048,
        event_time: 1_700_000_000_500,
      }),
      0,
    ),
  );
  assert.equal(r.device_id, 'sensor_77');
  assert.equal(r.device_type, 'air_quality');
  assert.equal(r.customer_id, 'customer_0042');
  assert.equal(r.site_id, 'site_berlin');
  assert.equal(r.co2_level, 612.5);
  assert.equal(r.motion_detected, 1);
  assert.equal(r.signal_strength, -71);
  assert.equal(r.status, 3);
  assert.equal(r.error_count, 3);
  assert.equal(r.bytes_received, 2048);
  assert.equal(r.event_time, 1_700_000_000_500);
});

test('new name wins over old name; string ids and numeric strings are accepted', () => {
  const r = ok(
    decodeLegacyJson(
      json({ device_id: 'sensor_9', sensorId: 1, battery_level: '55.5', batteryLevel: 1 }),
      7,
    ),
  );
  assert.equal(r.device_id, 'sensor_9');
  assert.equal(r.site_id, 'site_009', 'site from the numeric part of sensor_<n>');
  assert.equal(r.battery_level, 55.5);
  assert.equal(r.event_time, 7, 'fallback time when the message has none');
  assert.equal(
    ok(decodeLegacyJson(json({ sensorId: '12', humidity: 1 }), 0)).device_id,
    'sensor_12',
  );
  assert.equal(
    ok(decodeLegacyJson(json({ device_id: 12, humidity: 1 }), 0)).device_id,
    'sensor_12',
  );
});

test('a non-numeric device id gets a stable site', () => {
  const a = ok(decodeLegacyJson(json({ device_id: 'gateway-a', status: 1 }), 0));
  const b = ok(decodeLegacyJson(json({ device_id: 'gateway-a', temperature: 3 }), 9));
  assert.match(a.site_id, /^site_\d{3}$/);
  assert.equal(a.site_id, b.site_id);
});

test('status as number, numeric string or name (any case)', () => {
  const cases: [unknown, number][] = [
    [1, 1],
    ['online', 1],
    ['OFFLINE', 2],
    [' maintenance ', 3],
    ['error', 4],
    ['4', 4],
    [2, 2],
  ];
  for (const [status, code] of cases) {
    assert.equal(
      ok(decodeLegacyJson(json({ sensorId: 1, status }), 0)).status,
      code,
      JSON.stringify(status),
    );
  }
  rejected(decodeLegacyJson(json({ sensorId: 1, status: 'sleeping' }), 0), 'bad_status');
  rejected(decodeLegacyJson(json({ sensorId: 1, status: 0 }), 0), 'bad_status');
  rejected(decodeLegacyJson(json({ sensorId: 1, status: 5 }), 0), 'bad_status');
  rejected(decodeLegacyJson(json({ sensorId: 1, status: true }), 0), 'bad_status');
});

test('absent fields take the documented defaults', () => {
  const r = ok(decodeLegacyJson(json({ sensorId: 3, humidity: 40 }), 1_000));
  assert.equal(r.device_type, 'generic_sensor');
  assert.equal(r.status, 1);
  assert.equal(r.temperature, 0);
  assert.equal(r.humidity, 40);
  assert.equal(r.customer_id, 'customer_0001');
  assert.equal(r.event_time, 1_000);
});

test('time as ISO string (zone-less means UTC) or numeric string', () => {
  assert.equal(
    ok(decodeLegacyJson(json({ sensorId: 1, status: 1, timestamp: '2024-01-02T03:04:05Z' }), 0))
      .event_time,
    Date.UTC(2024, 0, 2, 3, 4, 5),
  );
  assert.equal(
    ok(decodeLegacyJson(json({ sensorId: 1, status: 1, time: '2024-01-02 03:04:05' }), 0))
      .event_time,
    Date.UTC(2024, 0, 2, 3, 4, 5),
  );
  assert.equal(
    ok(decodeLegacyJson(json({ sensorId: 1, status: 1, timestamp: '1700000000001' }), 0))
      .event_time,
    1_700_000_000_001,
  );
  rejected(decodeLegacyJson(json({ sensorId: 1, timestamp: 'yesterday' }), 0), 'out_of_range');
});

test('rejection reasons for bad JSON input', () => {
  rejected(decodeLegacyJson(Buffer.from('{"sensorId": 1,'), 0), 'undecodable');
  rejected(decodeLegacyJson(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 0), 'undecodable');
  rejected(decodeLegacyJson(json([1, 2]), 0), 'undecodable');
  rejected(decodeLegacyJson(json(null), 0), 'undecodable');
  rejected(decodeLegacyJson(Buffer.alloc(MAX_JSON_BYTES + 1, 0x20), 0), 'undecodable');
  rejected(decodeLegacyJson(json({ temperature: 20 }), 0), 'missing_id');
  rejected(decodeLegacyJson(json({ device_id: '  ' }), 0), 'missing_id');
  rejected(decodeLegacyJson(json({ sensorId: 1.5 }), 0), 'missing_id');
  rejected(decodeLegacyJson(json({ sensorId: { id: 1 } }), 0), 'missing_id');
  rejected(decodeLegacyJson(json({ sensorId: 1, temperature: 'NaN' }), 0), 'nan_value');
  rejected(decodeLegacyJson(json({ sensorId: 1, temperature: 'warm' }), 0), 'bad_field');
  rejected(decodeLegacyJson(json({ sensorId: 1, humidity: [1] }), 0), 'bad_field');
  rejected(decodeLegacyJson(json({ sensorId: 1, humidity: 101 }), 0), 'out_of_range');
  rejected(decodeLegacyJson(json({ sensorId: 1, sensorType: {} }), 0), 'unknown_sensor_type');
  rejected(decodeLegacyJson(json({ sensorId: 1, device_type: '' }), 0), 'unknown_sensor_type');
  rejected(decodeLegacyJson(json({ sensorId: 1, customer_id: 5 }), 0), 'bad_field');
  rejected(decodeLegacyJson(json({ sensorId: 1, packets_sent: -1 }), 0), 'out_of_range');
  rejected(decodeLegacyJson(json({ sensorId: 1, motion_detected: 2 }), 0), 'out_of_range');
});

test('never throws on arbitrary bytes', () => {
  let seed = 1;
  const next = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed);
  for (let i = 0; i < 2000; i++) {
    const len = next() % 64;
    const bytes = Buffer.alloc(len);
    for (let j = 0; j < len; j++) bytes[j] = next() & 0xff;
    if (len > 0) bytes[0] = 0x7b;
    const r = decodeLegacyJson(bytes, 0);
    assert.equal(typeof r.ok, 'boolean');
  }
});

test('nesting deeper than MAX_JSON_DEPTH is undecodable before parsing; brackets in strings do not count', () => {
  const nested = (depth: number): Buffer =>
    Buffer.from(`{"sensorId":1,"temperature":20,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`);
  assert.equal(decodeLegacyJson(nested(MAX_JSON_DEPTH - 1), 0).ok, true);
  const deep = decodeLegacyJson(nested(MAX_JSON_DEPTH), 0);
  rejected(deep, 'undecodable');
  assert.match(!deep.ok ? deep.detail : '', /nests deeper than 16 levels/);
  rejected(decodeLegacyJson(Buffer.alloc(MAX_JSON_BYTES, 0x5b), 0), 'undecodable');
  const inString = `{"sensorId":1,"temperature":20,"note":"${'[{'.repeat(40)}\\"["}`;
  assert.equal(decodeLegacyJson(Buffer.from(inString), 0).ok, true);
});
