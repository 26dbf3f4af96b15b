// The records envelope: everything one ingest micro-batch sends to one partition of
// iot-sensor-records, as one Pulsar message. The origin (source partition, owner epoch, the
// last source position the batch consumed) and the partition watermark after the batch are
// stated once; the records follow in a fixed binary layout. docs/architecture.md
// ("Envelopes") is the contract; RECORDS_ENVELOPE_V2 is its version byte.
//
//   u8      0x05 (RECORDS_ENVELOPE_V2)
//   varint  source partition
//   f64     owner epoch
//   f64     watermark after the batch (NaN: none yet)
//   string  last source position of the batch (serialized MessageId)
//   string  last source position of the envelope ingest sent before this one to the same
//           records partition ("": none), so the reader can tell that none is missing
//   u8      flags: bit 0 = idle (ingest has caught up with the source partition: no records
//           pending; sent without records)
//   varint  n strings, then n strings           the envelope's string table
//   varint  n records, then per record:
//     varint  source position: ledger, entry, partition + 1, batch index + 1, batch size
//     varint  device_id, device_type, customer_id, site_id (indexes into the string table)
//     varint  mask: bit i set when numeric field i (below) is not 0
//     for each set bit, in this order: f64 latitude … light_level (bits 0-8), varint
//             motion_detected (9), f64 battery_level … cpu_usage (10-13), varint status (14),
//             f64 error_count … bytes_received (15-19); a field whose bit is clear is 0
//     f64     event_time
//
// Strings are varint byte length + UTF-8; numbers little-endian. Ids repeat across a batch,
// so the table turns most of them into one byte and the reader decodes each once.
import type { SensorRecord } from '@iot/schema';
import type { MessageId } from '@iot/pulsar';
import { validateRecord } from '@iot/schema';
import { BinaryReader, BinaryWriter, StringTable } from './binary.ts';
import { ChannelFormatError } from './errors.ts';
import type { Origin } from './origin.ts';

/** 0x02 was the format before envelopes named their predecessor; it is not read any more. */
export const RECORDS_ENVELOPE_V2 = 0x05;

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
    // Only the fields that are not 0: a reading from AVRO carries 5 of these 20, the rest
    // are defaults. Validation made every -0 a 0, so nothing is lost.
    let mask = 0;
    if (record.latitude !== 0) mask |= 1 << 0;
    if (record.longitude !== 0) mask |= 1 << 1;
    if (record.altitude !== 0) mask |= 1 << 2;
    if (record.temperature !== 0) mask |= 1 << 3;
    if (record.humidity !== 0) mask |= 1 << 4;
    if (record.pressure !== 0) mask |= 1 << 5;
    if (record.co2_level !== 0) mask |= 1 << 6;
    if (record.noise_level !== 0) mask |= 1 << 7;
    if (record.light_level !== 0) mask |= 1 << 8;
    if (record.motion_detected !== 0) mask |= 1 << 9;
    if (record.battery_level !== 0) mask |= 1 << 10;
    if (record.signal_strength !== 0) mask |= 1 << 11;
    if (record.memory_usage !== 0) mask |= 1 << 12;
    if (record.cpu_usage !== 0) mask |= 1 << 13;
    if (record.status !== 0) mask |= 1 << 14;
    if (record.error_count !== 0) mask |= 1 << 15;
    if (record.packets_sent !== 0) mask |= 1 << 16;
    if (record.packets_received !== 0) mask |= 1 << 17;
    if (record.bytes_sent !== 0) mask |= 1 << 18;
    if (record.bytes_received !== 0) mask |= 1 << 19;
    w.varint(mask);
    if (mask & (1 << 0)) w.f64(record.latitude);
    if (mask & (1 << 1)) w.f64(record.longitude);
    if (mask & (1 << 2)) w.f64(record.altitude);
    if (mask & (1 << 3)) w.f64(record.temperature);
    if (mask & (1 << 4)) w.f64(record.humidity);
    if (mask & (1 << 5)) w.f64(record.pressure);
    if (mask & (1 << 6)) w.f64(record.co2_level);
    if (mask & (1 << 7)) w.f64(record.noise_level);
    if (mask & (1 << 8)) w.f64(record.light_level);
    if (mask & (1 << 9)) w.varint(record.motion_detected);
    if (mask & (1 << 10)) w.f64(record.battery_level);
    if (mask & (1 << 11)) w.f64(record.signal_strength);
    if (mask & (1 << 12)) w.f64(record.memory_usage);
    if (mask & (1 << 13)) w.f64(record.cpu_usage);
    if (mask & (1 << 14)) w.varint(record.status);
    if (mask & (1 << 15)) w.f64(record.error_count);
    if (mask & (1 << 16)) w.f64(record.packets_sent);
    if (mask & (1 << 17)) w.f64(record.packets_received);
    if (mask & (1 << 18)) w.f64(record.bytes_sent);
    if (mask & (1 << 19)) w.f64(record.bytes_received);
    w.f64(record.event_time);
    this.count++;
  }

  /**
   * The envelope's bytes; the builder is empty again afterwards. `previous` is the origin
   * position of the envelope sent before this one from the same source partition to the same
   * records partition (null for the first).
   */
  finish(
    origin: EnvelopeOrigin,
    watermark: number | null,
    previous: string | null,
    idle = false,
  ): Buffer {
    const head = this.head;
    head.reset();
    head.u8(RECORDS_ENVELOPE_V2);
    head.varint(origin.partition);
    head.f64(origin.epoch);
    head.f64(watermark ?? NaN);
    head.string(origin.position);
    head.string(previous ?? '');
    head.u8(idle ? 1 : 0);
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
  /**
   * Origin position of the envelope ingest sent before this one on the same channel (source
   * partition → records partition), null for the first: a reader that applied less than
   * that has missed envelopes.
   */
  previous: string | null;
  /**
   * Ingest has caught up with the source partition (nothing pending there): downstream may
   * stop waiting for its watermark until it sends records again. Never set with records.
   */
  idle: boolean;
  records: SensorRecord[];
  /** Source position of records[i] (decoded on first use: most batches never need them). */
  positionOf(i: number): string;
}

// The smallest record: a position of 5 one-byte varints, 4 one-byte string refs, the mask,
// event_time.
const MIN_RECORD_BYTES = 5 + 4 + 1 + 8;

/** Reads a records envelope; throws ChannelFormatError for anything this build cannot read. */
export function decodeRecordsEnvelope(payload: Uint8Array): RecordsEnvelope {
  const r = new BinaryReader(payload, 'records envelope');
  const version = r.u8();
  if (version !== RECORDS_ENVELOPE_V2) {
    throw new ChannelFormatError(
      `records envelope has format byte ${version}; this build reads ${RECORDS_ENVELOPE_V2} (a mixed-version rollout? upgrade every stage from one savepoint)`,
    );
  }
  const partition = r.varint();
  const epoch = r.f64();
  const wm = r.f64();
  const position = r.string();
  const previous = r.string();
  const flags = r.u8();
  const str = StringTable.read(r).lookup;
  const n = r.count(MIN_RECORD_BYTES, 'records');
  const records: SensorRecord[] = new Array<SensorRecord>(n);
  const positionsAt = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    positionsAt[i] = r.pos;
    for (let f = 0; f < 5; f++) r.varint();
    const deviceId = str();
    const deviceType = str();
    const customerId = str();
    const siteId = str();
    const m = r.varint();
    const record: SensorRecord = {
      device_id: deviceId,
      device_type: deviceType,
      customer_id: customerId,
      site_id: siteId,
      latitude: m & (1 << 0) ? r.f64() : 0,
      longitude: m & (1 << 1) ? r.f64() : 0,
      altitude: m & (1 << 2) ? r.f64() : 0,
      temperature: m & (1 << 3) ? r.f64() : 0,
      humidity: m & (1 << 4) ? r.f64() : 0,
      pressure: m & (1 << 5) ? r.f64() : 0,
      co2_level: m & (1 << 6) ? r.f64() : 0,
      noise_level: m & (1 << 7) ? r.f64() : 0,
      light_level: m & (1 << 8) ? r.f64() : 0,
      motion_detected: m & (1 << 9) ? r.varint() : 0,
      battery_level: m & (1 << 10) ? r.f64() : 0,
      signal_strength: m & (1 << 11) ? r.f64() : 0,
      memory_usage: m & (1 << 12) ? r.f64() : 0,
      cpu_usage: m & (1 << 13) ? r.f64() : 0,
      status: m & (1 << 14) ? r.varint() : 0,
      error_count: m & (1 << 15) ? r.f64() : 0,
      packets_sent: m & (1 << 16) ? r.f64() : 0,
      packets_received: m & (1 << 17) ? r.f64() : 0,
      bytes_sent: m & (1 << 18) ? r.f64() : 0,
      bytes_received: m & (1 << 19) ? r.f64() : 0,
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
  if (flags > 1 || ((flags & 1) === 1 && n > 0)) {
    throw new ChannelFormatError(`records envelope has flags ${flags} with ${n} records`);
  }
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
    previous: previous === '' ? null : previous,
    idle: (flags & 1) === 1,
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
