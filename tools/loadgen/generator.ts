/**
 * Deterministic message stream for iot-sensor-data: N devices, a time range, a rate, and
 * optional shares of out-of-order, late, duplicate, legacy-JSON and malformed messages.
 * Same parameters (seed included) → byte-identical stream, so the verifier can regenerate
 * it and predict every row, DLQ entry and late count.
 *
 * Each message names the source partition it must be published to (`partition`, a stable
 * hash of its key): the I/O side publishes to that partition so that per-partition
 * watermarks — and therefore which messages are late — are known in advance. Lateness is
 * simulated with the same WatermarkTracker and the same rule the ingest stage uses.
 */
import {
  encodeSensorData,
  sensorDataType,
  type RejectionReason,
  type SensorData,
} from '@iot/schema';
import { WatermarkTracker } from '@iot/windows';
import { mulberry32, randInt, round2, type Rng } from './prng.ts';

export type MessageKind =
  'good' | 'out_of_order' | 'duplicate' | 'legacy_json' | 'late' | 'malformed';

export interface GeneratorShares {
  /** Event time far enough behind to be late in its partition (tag decided by simulation). */
  late: number;
  /** Event time up to maxOutOfOrdernessMs behind: out of order but on time. */
  outOfOrder: number;
  /** Re-send of a recent good reading of the same device (same time, same values). */
  duplicate: number;
  /** Legacy JSON (old or new field names, string or numeric status). */
  legacyJson: number;
  /** Payloads the ingest must reject (each with a predicted reason). */
  malformed: number;
}

/**
 * 'stress': readings spread evenly over the devices, about 4 in 10 crossing an alert
 * threshold (the heaviest load per reading). 'realistic': about 1 in 100 readings raises an
 * alert, 3 % of the devices stay silent and 2 % burst with a fifth of all readings.
 */
export type LoadProfile = 'stress' | 'realistic';

export const LOAD_PROFILES: readonly LoadProfile[] = ['stress', 'realistic'];

export interface GeneratorParams {
  seed: number;
  profile: LoadProfile;
  /** Number of devices; sensorIds are firstSensorId .. firstSensorId + devices − 1. */
  devices: number;
  firstSensorId: number;
  /** Event time of the first message, epoch ms. */
  startMs: number;
  /** Event-time span of the stream, ms. */
  durationMs: number;
  /** Messages per second of event time. */
  ratePerSec: number;
  /** Partitions of the source topic. */
  partitions: number;
  /** The ingest stage's MAX_OUT_OF_ORDERNESS, for the lateness simulation. */
  maxOutOfOrdernessMs: number;
  shares: GeneratorShares;
}

export const DEFAULT_PARAMS: Readonly<GeneratorParams> = Object.freeze({
  seed: 1,
  profile: 'stress',
  devices: 1000,
  firstSensorId: 1,
  startMs: Date.UTC(2024, 0, 1),
  durationMs: 5 * 60_000,
  ratePerSec: 1000,
  partitions: 4,
  maxOutOfOrdernessMs: 5_000,
  shares: Object.freeze({ late: 0, outOfOrder: 0, duplicate: 0, legacyJson: 0, malformed: 0 }),
});

export interface GeneratedMessage {
  /** Position in the stream, from 0. */
  seq: number;
  /** Pulsar message key: "sensor_<id>". */
  key: string;
  /** Source partition to publish to (stable hash of key). */
  partition: number;
  payload: Buffer;
  /** Pulsar event_time to set, epoch ms. */
  eventTime: number;
  kind: MessageKind;
  /** For kind 'malformed': the rejection reason the ingest must give. */
  expectedReason?: RejectionReason;
}

/** Fills defaults and checks ranges; throws with what is wrong. */
export function resolveParams(params: Partial<GeneratorParams> = {}): GeneratorParams {
  const p: GeneratorParams = {
    ...DEFAULT_PARAMS,
    ...params,
    shares: { ...DEFAULT_PARAMS.shares, ...params.shares },
  };
  const positiveInt = ['devices', 'partitions', 'durationMs'] as const;
  for (const k of positiveInt) {
    if (!Number.isSafeInteger(p[k]) || p[k] <= 0)
      throw new RangeError(`${k} must be a positive integer, got ${p[k]}`);
  }
  for (const k of ['seed', 'firstSensorId', 'startMs', 'maxOutOfOrdernessMs'] as const) {
    if (!Number.isSafeInteger(p[k]) || p[k] < 0)
      throw new RangeError(`${k} must be a non-negative integer, got ${p[k]}`);
  }
  if (p.firstSensorId + p.devices - 1 > 2 ** 31 - 1)
    throw new RangeError('sensorIds must fit an AVRO int');
  if (!(p.ratePerSec > 0)) throw new RangeError(`ratePerSec must be > 0, got ${p.ratePerSec}`);
  if (!LOAD_PROFILES.includes(p.profile)) {
    throw new RangeError(`profile must be one of ${LOAD_PROFILES.join(', ')}, got ${p.profile}`);
  }
  const total = Object.values(p.shares).reduce((a, b) => a + b, 0);
  if (Object.values(p.shares).some((s) => !(s >= 0)) || total > 1) {
    throw new RangeError(
      `shares must be ≥ 0 and add up to at most 1, got ${JSON.stringify(p.shares)}`,
    );
  }
  return p;
}

/** Number of messages the parameters produce. */
export function messageCount(p: GeneratorParams): number {
  return Math.floor((p.durationMs * p.ratePerSec) / 1000);
}

/** FNV-1a of the key, modulo partitions: where a device's messages go. */
export function partitionFor(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/**
 * The event-time range every message of the stream lies in, [fromMs, toMs): on-time messages
 * are within [startMs, startMs + durationMs); out-of-order ones at most maxOutOfOrdernessMs
 * behind; late ones at most maxOutOfOrdernessMs + 61 s behind (see generateStream). The
 * verifier reads ClickHouse over the windows of this range.
 */
export function eventTimeBounds(params: Partial<GeneratorParams> = {}): {
  fromMs: number;
  toMs: number;
} {
  const p = resolveParams(params);
  return {
    fromMs: Math.max(0, p.startMs - p.maxOutOfOrdernessMs - 61_000),
    toMs: p.startMs + p.durationMs,
  };
}

function reading(rng: Rng, sensorId: number, timestamp: number, profile: LoadProfile): SensorData {
  return profile === 'stress'
    ? stressReading(rng, sensorId, timestamp)
    : realisticReading(rng, sensorId, timestamp);
}

function stressReading(rng: Rng, sensorId: number, timestamp: number): SensorData {
  const roll = rng();
  return {
    sensorId,
    sensorType: 1 + (sensorId % 8),
    timestamp,
    temperature: round2(10 + rng() * 27 + (rng() < 0.05 ? 8 : 0)),
    humidity: round2(20 + rng() * 70),
    pressure: round2(980 + rng() * 60),
    batteryLevel: round2(5 + rng() * 95),
    status: roll < 0.85 ? 1 : roll < 0.9 ? 2 : roll < 0.95 ? 3 : 4,
  };
}

/** Values inside the alert thresholds, with rare excursions: about 1 % of readings alert. */
function realisticReading(rng: Rng, sensorId: number, timestamp: number): SensorData {
  const roll = rng();
  const excursion = rng();
  return {
    sensorId,
    sensorType: 1 + (sensorId % 8),
    timestamp,
    temperature: round2(15 + rng() * 15 + (excursion < 0.004 ? 21 : 0)),
    humidity: round2(excursion >= 0.004 && excursion < 0.007 ? 81 + rng() * 15 : 30 + rng() * 45),
    pressure: round2(990 + rng() * 40),
    batteryLevel: round2(excursion >= 0.007 && excursion < 0.01 ? 5 + rng() * 14 : 25 + rng() * 75),
    status: roll < 0.97 ? 1 : roll < 0.98 ? 2 : roll < 0.99 ? 3 : 4,
  };
}

/**
 * Picks the device of the next reading. 'stress': uniform. 'realistic': every 33rd device is
 * silent (sends nothing), every 50th bursts (together a fifth of all readings).
 */
function pickDevice(rng: Rng, p: GeneratorParams): number {
  if (p.profile === 'stress') return p.firstSensorId + randInt(rng, p.devices);
  const bursting = Math.max(1, Math.floor(p.devices / 50));
  if (rng() < 0.2) return p.firstSensorId + 50 * randInt(rng, bursting);
  for (;;) {
    const i = randInt(rng, p.devices);
    if (i % 33 !== 32 || p.devices < 33) return p.firstSensorId + i;
  }
}

const STATUS_NAMES = ['online', 'offline', 'maintenance', 'error'];

function legacyJson(rng: Rng, r: SensorData): Buffer {
  const status: number | string = rng() < 0.5 ? r.status : (STATUS_NAMES[r.status - 1] as string);
  if (rng() < 0.5) {
    return Buffer.from(
      JSON.stringify({
        sensorId: r.sensorId,
        sensorType: r.sensorType,
        timestamp: r.timestamp,
        temperature: r.temperature,
        humidity: r.humidity,
        pressure: r.pressure,
        batteryLevel: r.batteryLevel,
        status,
      }),
    );
  }
  return Buffer.from(
    JSON.stringify({
      device_id: `sensor_${r.sensorId}`,
      device_type: 'multi_sensor',
      event_time: r.timestamp,
      temperature: r.temperature,
      humidity: r.humidity,
      pressure: r.pressure,
      co2_level: round2(400 + rng() * 800),
      noise_level: round2(30 + rng() * 50),
      motion_detected: rng() < 0.2,
      battery_level: r.batteryLevel,
      signal_strength: round2(-110 + rng() * 60),
      status,
      error_count: randInt(rng, 3),
      packets_sent: randInt(rng, 1000),
      packets_received: randInt(rng, 1000),
      bytes_sent: randInt(rng, 100_000),
      bytes_received: randInt(rng, 100_000),
    }),
  );
}

function malformed(rng: Rng, r: SensorData): { payload: Buffer; reason: RejectionReason } {
  switch (randInt(rng, 7)) {
    case 0: {
      const full = encodeSensorData(r);
      return {
        payload: full.subarray(0, 1 + randInt(rng, full.length - 1)),
        reason: 'undecodable',
      };
    }
    case 1:
      return { payload: Buffer.from(`{"sensorId": ${r.sensorId},`), reason: 'undecodable' };
    case 2:
      return {
        payload: Buffer.from(
          JSON.stringify({ sensorType: r.sensorType, temperature: r.temperature }),
        ),
        reason: 'missing_id',
      };
    case 3:
      return {
        payload: sensorDataType.toBuffer({ ...r, temperature: Number.NaN }),
        reason: 'nan_value',
      };
    case 4:
      return { payload: sensorDataType.toBuffer({ ...r, status: 9 }), reason: 'bad_status' };
    case 5:
      return { payload: sensorDataType.toBuffer({ ...r, humidity: 150 }), reason: 'out_of_range' };
    default:
      return {
        payload: Buffer.from(JSON.stringify({ sensorId: r.sensorId, status: 'sleeping' })),
        reason: 'bad_status',
      };
  }
}

/**
 * The stream, lazily, in publish order. Within a partition, messages must be published in
 * this order for the late predictions to hold (Pulsar keeps a producer's order per partition).
 */
export function* generateStream(
  params: Partial<GeneratorParams> = {},
): Generator<GeneratedMessage> {
  const p = resolveParams(params);
  const rng = mulberry32(p.seed);
  const n = messageCount(p);
  const tracker = new WatermarkTracker(
    { maxOutOfOrdernessMs: p.maxOutOfOrdernessMs, idleTimeoutMs: 0 },
    0,
  );
  const s = p.shares;
  const cuts = [s.late, s.outOfOrder, s.duplicate, s.legacyJson, s.malformed].reduce<number[]>(
    (acc, x) => [...acc, (acc.at(-1) ?? 0) + x],
    [],
  );
  const plannedKinds: MessageKind[] = [
    'late',
    'out_of_order',
    'duplicate',
    'legacy_json',
    'malformed',
  ];
  const recent: { payload: Buffer; sensorId: number; timestamp: number }[] = [];

  for (let seq = 0; seq < n; seq++) {
    const base = p.startMs + Math.floor((seq * p.durationMs) / n);
    const roll = rng();
    const index = cuts.findIndex((c) => roll < c);
    let planned: MessageKind = index < 0 ? 'good' : (plannedKinds[index] as MessageKind);
    if (planned === 'duplicate' && recent.length === 0) planned = 'good';

    let sensorId = pickDevice(rng, p);
    let timestamp = base;
    let payload: Buffer;
    let expectedReason: RejectionReason | undefined;
    if (planned === 'duplicate') {
      const original = recent[randInt(rng, recent.length)] as (typeof recent)[number];
      ({ sensorId, timestamp, payload } = original);
    } else {
      if (planned === 'out_of_order') timestamp = base - randInt(rng, p.maxOutOfOrdernessMs + 1);
      if (planned === 'late')
        timestamp = Math.max(0, base - p.maxOutOfOrdernessMs - 1_000 - randInt(rng, 60_000));
      const r = reading(rng, sensorId, timestamp, p.profile);
      if (planned === 'legacy_json') payload = legacyJson(rng, r);
      else if (planned === 'malformed') ({ payload, reason: expectedReason } = malformed(rng, r));
      else payload = encodeSensorData(r);
      if (planned === 'good') {
        recent.push({ payload, sensorId, timestamp });
        if (recent.length > 16) recent.shift();
      }
    }

    const key = `sensor_${sensorId}`;
    const partition = partitionFor(key, p.partitions);
    let kind: MessageKind = planned;
    if (planned !== 'malformed') {
      // Exactly what ingest does: a decodable record is late iff behind its partition's watermark.
      const late = tracker.observe(String(partition), timestamp, 0);
      if (late) kind = 'late';
      else if (planned === 'late') kind = 'out_of_order';
    }
    const msg: GeneratedMessage = { seq, key, partition, payload, eventTime: timestamp, kind };
    if (expectedReason !== undefined) msg.expectedReason = expectedReason;
    yield msg;
  }
}

export interface StreamSummary {
  messages: number;
  byKind: Record<MessageKind, number>;
  /** Messages that must become records (everything but late and malformed). */
  records: number;
  late: number;
  dlqByReason: Partial<Record<RejectionReason, number>>;
  perPartition: number[];
}

/** Counts over the whole stream (regenerates it). */
export function summarizeStream(params: Partial<GeneratorParams> = {}): StreamSummary {
  const p = resolveParams(params);
  const byKind: Record<MessageKind, number> = {
    good: 0,
    out_of_order: 0,
    duplicate: 0,
    legacy_json: 0,
    late: 0,
    malformed: 0,
  };
  const dlqByReason: Partial<Record<RejectionReason, number>> = {};
  const perPartition: number[] = Array.from({ length: p.partitions }, () => 0);
  let messages = 0;
  for (const m of generateStream(p)) {
    messages++;
    byKind[m.kind]++;
    perPartition[m.partition] = (perPartition[m.partition] ?? 0) + 1;
    if (m.expectedReason !== undefined)
      dlqByReason[m.expectedReason] = (dlqByReason[m.expectedReason] ?? 0) + 1;
  }
  return {
    messages,
    byKind,
    records: messages - byKind.late - byKind.malformed,
    late: byKind.late,
    dlqByReason,
    perPartition,
  };
}
