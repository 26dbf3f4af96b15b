/**
 * Event time against processing time, checked by ingest once the event time is known.
 * A watermark only moves forward, so one reading dated years ahead would make every later
 * valid reading of its partition late; one dated 1970 (seconds sent as milliseconds, or 0)
 * is a broken clock, not a late reading. Both are refused with their own reason.
 */
import { reject, type Rejection } from './result.ts';

/** Earliest plausible event time: 2000-01-01. 1.7e9 (seconds as ms) is January 1970. */
export const MIN_EVENT_TIME_MS = Date.UTC(2000, 0, 1);

/** How far ahead of the ingest clock an event time may be (device clocks drift). */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 10 * 60_000;

/**
 * undefined when `eventTimeMs` is plausible at `nowMs`; otherwise the rejection to DLQ:
 * `invalid_timestamp` before 2000, `future` beyond `nowMs + maxFutureSkewMs`.
 */
export function checkEventTime(
  eventTimeMs: number,
  nowMs: number,
  maxFutureSkewMs: number,
): Rejection | undefined {
  if (eventTimeMs < MIN_EVENT_TIME_MS) {
    return reject(
      'invalid_timestamp',
      `event time ${eventTimeMs} ms is before 2000-01-01 (${MIN_EVENT_TIME_MS}); expected epoch milliseconds`,
    );
  }
  if (eventTimeMs > nowMs + maxFutureSkewMs) {
    return reject(
      'future',
      `event time ${new Date(eventTimeMs).toISOString()} is more than ${maxFutureSkewMs} ms ahead of the ingest clock ${new Date(nowMs).toISOString()}`,
    );
  }
  return undefined;
}
