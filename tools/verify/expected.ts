/**
 * What the pipeline must produce for a generated stream, computed with the pipeline's own
 * pure functions (decodeSensorMessage, WatermarkTracker, the window accumulator) but
 * without any of its machinery: no Pulsar, no Redis, no actors, no retries. If the
 * pipeline is exactly-once, ClickHouse holds exactly these rows.
 *
 * The generator's tags are checked on the way (`tagMismatches`): a message tagged late
 * must be late by the ingest rule, a malformed one rejected with its predicted reason.
 */
import { decodeSensorMessage } from '@iot/schema';
import {
  DEFAULT_ALERT_RULES,
  DEFAULT_WINDOW_SIZE_MS,
  WatermarkTracker,
  accumulatorFor,
  addRecord,
  alertsFor,
  finalizeWindow,
  windowStart,
  type AggregateRow,
  type Alert,
  type AlertRules,
  type WindowAccumulator,
} from '@iot/windows';
import {
  generateStream,
  resolveParams,
  type GeneratedMessage,
  type GeneratorParams,
} from '@iot/loadgen';

export interface ExpectOptions {
  windowSizeMs?: number;
  rules?: AlertRules;
  /**
   * Whether to list every expected alert (default true). A third of readings raise one, so
   * for multi-million-message runs pass false and rely on the rows' alert counts.
   */
  listAlerts?: boolean;
  /** Told of every expected alert in publish order, listed or not (an AlertDigest). */
  onAlert?: (alert: Alert) => void;
}

export interface ExpectedCounts {
  messages: number;
  /** Messages that become records (and are aggregated). */
  records: number;
  late: number;
  /** DLQ entries by reason, `late` included. */
  dlq: Record<string, number>;
}

export interface Expected {
  /** One row per device per window, ordered by device_id then window_start. */
  rows: AggregateRow[];
  /**
   * Per-reading alerts, one per accepted reading and kind (the sink keys them by the reading's
   * source position too, so readings sharing an event time keep theirs), sorted (empty with
   * listAlerts: false).
   */
  alerts: Alert[];
  counts: ExpectedCounts;
  /** Generator tags that disagree with the decoder or the watermark rule (should be empty). */
  tagMismatches: string[];
}

const byKey = (a: { device_id: string }, b: { device_id: string }): number =>
  a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0;

/** Core: expected output for messages in publish order. */
export function expectedFromMessages(
  messages: Iterable<GeneratedMessage>,
  maxOutOfOrdernessMs: number,
  options: ExpectOptions = {},
): Expected {
  const size = options.windowSizeMs ?? DEFAULT_WINDOW_SIZE_MS;
  const rules = options.rules ?? DEFAULT_ALERT_RULES;
  const listAlerts = options.listAlerts ?? true;
  const tracker = new WatermarkTracker({ maxOutOfOrdernessMs, idleTimeoutMs: 0 }, 0);
  const windows = new Map<string, WindowAccumulator>();
  const alerts: Alert[] = [];
  const counts: ExpectedCounts = { messages: 0, records: 0, late: 0, dlq: {} };
  const tagMismatches: string[] = [];
  const toDlq = (reason: string): void => {
    counts.dlq[reason] = (counts.dlq[reason] ?? 0) + 1;
  };

  for (const m of messages) {
    counts.messages++;
    const decoded = decodeSensorMessage({
      payload: m.payload,
      eventTime: m.eventTime,
      publishTime: m.eventTime,
    });
    if (!decoded.ok) {
      toDlq(decoded.reason);
      if (m.kind !== 'malformed' || m.expectedReason !== decoded.reason) {
        tagMismatches.push(
          `seq ${m.seq}: tagged ${m.kind}/${m.expectedReason ?? '-'}, decoder says ${decoded.reason} (${decoded.detail})`,
        );
      }
      continue;
    }
    if (m.kind === 'malformed')
      tagMismatches.push(`seq ${m.seq}: tagged malformed/${m.expectedReason}, but it decodes`);
    const record = decoded.value;
    const late = tracker.observe(String(m.partition), record.event_time, 0);
    if (late !== (m.kind === 'late'))
      tagMismatches.push(
        `seq ${m.seq}: tagged ${m.kind}, watermark rule says ${late ? 'late' : 'on time'}`,
      );
    if (late) {
      counts.late++;
      toDlq('late');
      continue;
    }
    counts.records++;
    const start = windowStart(record.event_time, size);
    const key = `${record.device_id}\u0000${start}`;
    let acc = windows.get(key);
    if (acc === undefined) windows.set(key, (acc = accumulatorFor(record, size)));
    addRecord(acc, record, rules);
    if (!listAlerts && options.onAlert === undefined) continue;
    for (const a of alertsFor(record, rules)) {
      if (listAlerts) alerts.push(a);
      options.onAlert?.(a);
    }
  }

  const rows = [...windows.values()]
    .map(finalizeWindow)
    .sort((a, b) => byKey(a, b) || a.window_start - b.window_start);
  const alertList = alerts.sort(
    (a, b) =>
      byKey(a, b) ||
      a.event_time - b.event_time ||
      (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
      a.value - b.value,
  );
  return { rows, alerts: alertList, counts, tagMismatches };
}

/** Regenerates the stream from its parameters and computes the expected output. */
export function expectedFromParams(
  params: Partial<GeneratorParams>,
  options: ExpectOptions = {},
): Expected {
  const p = resolveParams(params);
  return expectedFromMessages(generateStream(p), p.maxOutOfOrdernessMs, options);
}
