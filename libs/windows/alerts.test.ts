import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertsFor, windowAlertsFor, DEFAULT_ALERT_RULES } from './alerts.ts';
import { record } from './fixtures.test-support.ts';

test('seed thresholds: temperature > 35, humidity > 80, battery < 20 (strict)', () => {
  assert.deepEqual(DEFAULT_ALERT_RULES, { temperatureHigh: 35, humidityHigh: 80, batteryLow: 20 });
  assert.deepEqual(alertsFor(record({ temperature: 35, humidity: 80, battery_level: 20 })), []);
  const r = record({
    device_id: 'sensor_9',
    event_time: 1_000,
    temperature: 35.01,
    humidity: 80.5,
    battery_level: 19.9,
  });
  assert.deepEqual(alertsFor(r), [
    {
      device_id: 'sensor_9',
      event_time: 1_000,
      kind: 'high_temperature',
      source: 'reading',
      value: 35.01,
      threshold: 35,
    },
    {
      device_id: 'sensor_9',
      event_time: 1_000,
      kind: 'high_humidity',
      source: 'reading',
      value: 80.5,
      threshold: 80,
    },
    {
      device_id: 'sensor_9',
      event_time: 1_000,
      kind: 'low_battery',
      source: 'reading',
      value: 19.9,
      threshold: 20,
    },
  ]);
});

test('thresholds are configurable', () => {
  const rules = { temperatureHigh: 20, humidityHigh: 99, batteryLow: 5 };
  const kinds = alertsFor(record({ temperature: 21, humidity: 90, battery_level: 10 }), rules).map(
    (a) => a.kind,
  );
  assert.deepEqual(kinds, ['high_temperature']);
});

test('window alerts look at the averages and are stamped with the window start', () => {
  const alerts = windowAlertsFor({
    device_id: 'd',
    window_start: 60_000,
    temperature_avg: 36,
    humidity_avg: 50,
    battery_level_avg: 50,
  });
  assert.deepEqual(alerts, [
    {
      device_id: 'd',
      event_time: 60_000,
      kind: 'high_temperature',
      source: 'window_avg',
      value: 36,
      threshold: 35,
    },
  ]);
});
