/** Test fixtures for @iot/windows (not exported from the package). */
import { RECORD_DEFAULTS, type SensorRecord } from '@iot/schema';

export function record(patch: Partial<SensorRecord> = {}): SensorRecord {
  return {
    device_id: 'sensor_1',
    device_type: 'temperature_sensor',
    customer_id: 'customer_0001',
    site_id: 'site_001',
    ...RECORD_DEFAULTS,
    temperature: 21,
    humidity: 45,
    pressure: 1013,
    battery_level: 80,
    event_time: 0,
    ...patch,
  };
}

/** mulberry32: small seeded PRNG for property tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(xs: readonly T[], rnd: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
