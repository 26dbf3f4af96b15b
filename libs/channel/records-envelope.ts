// The records envelope: everything one ingest micro-batch sends to one partition of
// iot-sensor-records, as one Pulsar message. The origin (source partition, owner epoch, the
// last source position the batch consumed) and the partition watermark after the batch are
// stated once; the records follow in a fixed binary layout. docs/architecture.md
// ("Envelopes") is the contract; RECORDS_ENVELOPE_V1 is its version byte.
//
//   u8      0x02 (RECORDS_ENVELOPE_V1)
//   varint  source partition
//   f64     owner epoch
//   f64     watermark after the batch (NaN: none yet)
//   string  last source position of the batch (serialized MessageId)
//   varint  n strings, then n strings           the envelope's string table
//   varint  n records, then per record:
//     varint  source position: ledger, entry, partition + 1, batch index + 1, batch size
//     varint  device_id, device_type, customer_id, site_id (indexes into the string table)
//     f64     latitude … light_level (9), then varint motion_detected,
//     f64     battery_level … cpu_usage (4), then varint status,
//     f64     error_count … bytes_received (5), event_time
//
// Strings are varint byte length + UTF-8; numbers little-endian. Ids repeat across a batch,
// so the table turns most of them into one byte and the reader decodes each once.
import type { SensorRecord } from '@iot/schema';
import type { MessageId } from '@iot/pulsar';
import { validateRecord } from '@iot/schema';
import { BinaryReader, BinaryWriter, StringTable } from './binary.ts';
import { ChannelFormatError } from './errors.ts';
import type { Origin } from './origin.ts';

export const RECORDS_ENVELOPE_V1 = 0x02;

/**
 * The header of a records envelope: the source partition, the owner epoch of the ingest
 * instance that published it, and the last source position its batch consumed.
 */
export type EnvelopeOrigin = Origin;

/** Collects the records of one ingest batch bound for one records partition. */
export class RecordsEnvelopeBuilder {
  private readonly head = new BinaryWriter();
  private readonly body = new BinaryWriter();
  private readonly strings = new StringTable();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Appends a record read from the source message `id`. */
  add(record: SensorRecord, id: MessageId): void {
    const w = this.body;
    // Positions as numbers (ledger and entry ids stay far below 2^53): parsing and
    // formatting text per record showed in ingest's profile.
    const ledger = Number(id.ledgerId);
    const entry = Number(id.entryId);
    if (!Number.isSafeInteger(ledger) || !Number.isSafeInteger(entry) || ledger < 0 || entry < 0) {
      throw new RangeError(`source position ${id.serialize()} does not fit a records envelope`);
    }
    w.varint(ledger);
    w.varint(entry);
    w.varint(id.partition + 1);
    w.varint(id.batchIndex + 1);
    w.varint(id.batchSize);
    this.strings.ref(w, record.device_id);
    this.strings.ref(w, record.device_type);
    this.strings.ref(w, record.customer_id);
    this.strings.ref(w, record.site_id);
    w.f64(record.latitude);
    w.f64(record.longitude);
    w.f64(record.altitude);
    w.f64(record.temperature);
    w.f64(record.humidity);
    w.f64(record.pressure);
    w.f64(record.co2_level);
    w.f64(record.noise_level);
    w.f64(record.light_level);
    w.varint(record.motion_detected);
    w.f64(record.battery_level);
    w.f64(record.signal_strength);
    w.f64(record.memory_usage);
    w.f64(record.cpu_usage);
    w.varint(record.status);
    w.f64(record.error_count);
    w.f64(record.packets_sent);
    w.f64(record.packets_received);
    w.f64(record.bytes_sent);
    w.f64(record.bytes_received);
    w.f64(record.event_time);
    this.count++;
  }

  /** The envelope's bytes; the builder is empty again afterwards. */
  finish(origin: EnvelopeOrigin, watermark: number | null): Buffer {
    const head = this.head;
    head.reset();
    head.u8(RECORDS_ENVELOPE_V1);
    head.varint(origin.partition);
    head.f64(origin.epoch);
    head.f64(watermark ?? NaN);
    head.string(origin.position);
    this.strings.write(head);
    head.varint(this.count);
    const bytes = Buffer.concat([head.written(), this.body.written()]);
    this.body.reset();
    this.strings.clear();
    this.count = 0;
    return bytes;
  }
}

/** A decoded records envelope. */
export interface RecordsEnvelope {
  origin: EnvelopeOrigin;
  watermark: number | null;
  records: SensorRecord[];
  /** Source position of records[i] (decoded on first use: most batches never need them). */
  positionOf(i: number): string;
}

// The smallest record: a position of 5 one-byte varints, 4 one-byte string refs, 2 one-byte
// varints, 19 float64s.
const MIN_RECORD_BYTES = 5 + 4 + 2 + 19 * 8;

/** Reads a records envelope; throws ChannelFormatError for anything this build cannot read. */
export function decodeRecordsEnvelope(payload: Uint8Array): RecordsEnvelope {
  const r = new BinaryReader(payload, 'records envelope');
  const version = r.u8();
  if (version !== RECORDS_ENVELOPE_V1) {
    throw new ChannelFormatError(
      `records envelope has format byte ${version}; this build reads ${RECORDS_ENVELOPE_V1} (a mixed-version rollout? upgrade every stage from one savepoint)`,
    );
  }
  const partition = r.varint();
  const epoch = r.f64();
  const wm = r.f64();
  const position = r.string();
  const str = StringTable.read(r).lookup;
  const n = r.count(MIN_RECORD_BYTES, 'records');
  const records: SensorRecord[] = new Array<SensorRecord>(n);
  const positionsAt = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    positionsAt[i] = r.pos;
    for (let f = 0; f < 5; f++) r.varint();
    const record: SensorRecord = {
      device_id: str(),
      device_type: str(),
      customer_id: str(),
      site_id: str(),
      latitude: r.f64(),
      longitude: r.f64(),
      altitude: r.f64(),
      temperature: r.f64(),
      humidity: r.f64(),
      pressure: r.f64(),
      co2_level: r.f64(),
      noise_level: r.f64(),
      light_level: r.f64(),
      motion_detected: r.varint(),
      battery_level: r.f64(),
      signal_strength: r.f64(),
      memory_usage: r.f64(),
      cpu_usage: r.f64(),
      status: r.varint(),
      error_count: r.f64(),
      packets_sent: r.f64(),
      packets_received: r.f64(),
      bytes_sent: r.f64(),
      bytes_received: r.f64(),
      event_time: r.f64(),
    };
    // Ingest validated every record; this guards the topic against anything else.
    const valid = validateRecord(record);
    if (!valid.ok) {
      throw new ChannelFormatError(
        `record ${i} of the envelope is ${valid.reason}: ${valid.detail}`,
      );
    }
    records[i] = record;
  }
  r.end();
  if (!Number.isSafeInteger(epoch) || (!Number.isNaN(wm) && !Number.isSafeInteger(wm))) {
    throw new ChannelFormatError(
      `records envelope has a non-integer epoch ${epoch} or watermark ${wm}`,
    );
  }
  // Each position decoded on first use: the aggregator reads the first record's position of
  // every envelope (to spot a replayed prefix), the others only in the rare straddle or late.
  const positions = new Array<string | undefined>(n);
  const pr = new BinaryReader(payload, 'records envelope');
  return {
    origin: { partition, epoch, position },
    watermark: Number.isNaN(wm) ? null : wm,
    records,
    positionOf(i) {
      const at = positionsAt[i];
      if (at === undefined) throw new RangeError(`no record ${i} in an envelope of ${n}`);
      let p = positions[i];
      if (p === undefined) {
        pr.pos = at;
        // MessageId.serialize()'s form: ledger:entry:partition:batchIndex:batchSize.
        p = `${pr.varint()}:${pr.varint()}:${pr.varint() - 1}:${pr.varint() - 1}:${pr.varint()}`;
        positions[i] = p;
      }
      return p;
    },
  };
}
