/**
 * Threshold alerts. The seed logged, in its sink, high temperature (> 35 °C), high humidity
 * (> 80 %) and low battery (< 20 %). We evaluate the same rules on every reading (so a
 * short spike is not averaged away), count them per window, and can also evaluate them on
 * a window's averages (`windowAlertsFor`), which is exactly what the seed's sink saw.
 */
import type { SensorRecord } from '@iot/schema';

export interface AlertRules {
  /** Alert when temperature is strictly above this (°C). */
  temperatureHigh: number;
  /** Alert when humidity is strictly above this (%). */
  humidityHigh: number;
  /** Alert when battery_level is strictly below this (%). */
  batteryLow: number;
}

export const DEFAULT_ALERT_RULES: Readonly<AlertRules> = Object.freeze({
  temperatureHigh: 35,
  humidityHigh: 80,
  batteryLow: 20,
});

export type AlertKind = 'high_temperature' | 'high_humidity' | 'low_battery';

/** 'reading': one reading crossed the threshold; 'window_avg': a window's average did. */
export type AlertSource = 'reading' | 'window_avg';

export interface Alert {
  device_id: string;
  /** Epoch ms: the reading's event time, or the window start for 'window_avg'. */
  event_time: number;
  kind: AlertKind;
  source: AlertSource;
  value: number;
  threshold: number;
  /**
   * The reading's identity: its source position (a serialized MessageId, which names the
   * source partition). Part of the alert's key in ClickHouse: readings of one device can
   * share an event time, and a replay of one reading must collapse into its alert. Set by
   * the aggregator; absent on alerts computed without a source (window averages, tests).
   */
  reading?: string;
}

interface Levels {
  temperature: number;
  humidity: number;
  battery_level: number;
}

type Crossing = [AlertKind, number, number];
const NONE: readonly Crossing[] = Object.freeze([]);

/** The thresholds crossed; most readings cross none, and get a shared empty list. */
function evaluate(levels: Levels, rules: AlertRules): readonly Crossing[] {
  let out: Crossing[] | undefined;
  if (levels.temperature > rules.temperatureHigh)
    (out ??= []).push(['high_temperature', levels.temperature, rules.temperatureHigh]);
  if (levels.humidity > rules.humidityHigh)
    (out ??= []).push(['high_humidity', levels.humidity, rules.humidityHigh]);
  if (levels.battery_level < rules.batteryLow)
    (out ??= []).push(['low_battery', levels.battery_level, rules.batteryLow]);
  return out ?? NONE;
}

const NO_ALERTS: readonly Alert[] = Object.freeze([]);

/** Alerts one reading raises, in a fixed order (temperature, humidity, battery). */
export function alertsFor(
  record: SensorRecord,
  rules: AlertRules = DEFAULT_ALERT_RULES,
): readonly Alert[] {
  // Once per record: a reading that raises none allocates nothing.
  const crossed = evaluate(record, rules);
  if (crossed.length === 0) return NO_ALERTS;
  return crossed.map(([kind, value, threshold]) => ({
    device_id: record.device_id,
    event_time: record.event_time,
    kind,
    source: 'reading',
    value,
    threshold,
  }));
}

/** Alerts on a finished window's averages (the seed's sink-side check). */
export function windowAlertsFor(
  row: {
    device_id: string;
    window_start: number;
    temperature_avg: number;
    humidity_avg: number;
    battery_level_avg: number;
  },
  rules: AlertRules = DEFAULT_ALERT_RULES,
): Alert[] {
  const levels = {
    temperature: row.temperature_avg,
    humidity: row.humidity_avg,
    battery_level: row.battery_level_avg,
  };
  return evaluate(levels, rules).map(([kind, value, threshold]) => ({
    device_id: row.device_id,
    event_time: row.window_start,
    kind,
    source: 'window_avg',
    value,
    threshold,
  }));
}
