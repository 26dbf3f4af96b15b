// The output envelopes: what one aggregator micro-batch sends to the writer, one Pulsar
// message per topic. Alerts (about 4 readings in 10 raise one under the stress profile) are
// packed in a fixed binary layout; aggregate rows (one per device per window, a small
// volume) as a JSON array, which keeps every double exact. docs/architecture.md
// ("Envelopes") is the contract.
//
//   alerts:      u8 0x06 (ALERTS_ENVELOPE_V2), varint n strings, n strings (string table),
//                varint n alerts, per alert: varint device_id, f64 event_time, varint kind,
//                varint source (string-table indexes), f64 value, f64 threshold, string
//                reading (its source position; "": none)
//   aggregates:  u8 0x04 (AGGREGATES_ENVELOPE_V1), then a UTF-8 JSON array of AggregateRow
import type { AggregateRow, Alert, AlertKind, AlertSource } from '@iot/windows';
import { BinaryReader, BinaryWriter, StringTable } from './binary.ts';
import { ChannelFormatError } from './errors.ts';

/** 0x03 was the alerts envelope before alerts carried their reading; it is not read any more. */
export const ALERTS_ENVELOPE_V2 = 0x06;
export const AGGREGATES_ENVELOPE_V1 = 0x04;

const ALERT_KINDS: ReadonlySet<string> = new Set<AlertKind>([
  'high_temperature',
  'high_humidity',
  'low_battery',
]);
const ALERT_SOURCES: ReadonlySet<string> = new Set<AlertSource>(['reading', 'window_avg']);

export function encodeAlertsEnvelope(alerts: readonly Alert[]): Buffer {
  const strings = new StringTable();
  const body = new BinaryWriter();
  for (const a of alerts) {
    strings.ref(body, a.device_id);
    body.f64(a.event_time);
    strings.ref(body, a.kind);
    strings.ref(body, a.source);
    body.f64(a.value);
    body.f64(a.threshold);
    body.string(a.reading ?? '');
  }
  const head = new BinaryWriter();
  head.u8(ALERTS_ENVELOPE_V2);
  strings.write(head);
  head.varint(alerts.length);
  return Buffer.concat([head.written(), body.written()]);
}

// device, kind and source refs of one byte each, three float64s, an empty reading.
const MIN_ALERT_BYTES = 3 + 3 * 8 + 1;

export function decodeAlertsEnvelope(payload: Uint8Array): Alert[] {
  const r = new BinaryReader(payload, 'alerts envelope');
  const version = r.u8();
  if (version !== ALERTS_ENVELOPE_V2) {
    throw new ChannelFormatError(
      `alerts envelope has format byte ${version}; this build reads ${ALERTS_ENVELOPE_V2} (a mixed-version rollout? upgrade every stage from one savepoint)`,
    );
  }
  const str = StringTable.read(r).lookup;
  const n = r.count(MIN_ALERT_BYTES, 'alerts');
  const alerts = new Array<Alert>(n);
  for (let i = 0; i < n; i++) {
    const device_id = str();
    const event_time = r.f64();
    const kind = str();
    const source = str();
    if (!ALERT_KINDS.has(kind) || !ALERT_SOURCES.has(source)) {
      throw new ChannelFormatError(`alert ${i} has unknown kind ${kind} or source ${source}`);
    }
    const value = r.f64();
    const threshold = r.f64();
    const reading = r.string();
    alerts[i] = {
      device_id,
      event_time,
      kind: kind as AlertKind,
      source: source as AlertSource,
      value,
      threshold,
      ...(reading === '' ? {} : { reading }),
    };
  }
  r.end();
  return alerts;
}

export function encodeAggregatesEnvelope(rows: readonly AggregateRow[]): Buffer {
  const json = JSON.stringify(rows);
  const out = Buffer.allocUnsafe(1 + Buffer.byteLength(json));
  out[0] = AGGREGATES_ENVELOPE_V1;
  out.write(json, 1, 'utf8');
  return out;
}

export function decodeAggregatesEnvelope(payload: Uint8Array): AggregateRow[] {
  if (payload[0] !== AGGREGATES_ENVELOPE_V1) {
    throw new ChannelFormatError(
      `aggregates envelope has format byte ${payload[0]}; this build reads ${AGGREGATES_ENVELOPE_V1}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(
      Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8', 1),
    );
  } catch (err) {
    throw new ChannelFormatError(`aggregates envelope is not JSON: ${String(err)}`);
  }
  if (!Array.isArray(value)) throw new ChannelFormatError('aggregates envelope is not an array');
  for (const row of value as unknown[]) {
    if (
      typeof row !== 'object' ||
      row === null ||
      typeof (row as { device_id?: unknown }).device_id !== 'string' ||
      typeof (row as { window_start?: unknown }).window_start !== 'number'
    ) {
      throw new ChannelFormatError(
        'aggregates envelope holds a row without device_id or window_start',
      );
    }
  }
  return value as AggregateRow[];
}
