/**
 * Typed outcome of decoding or validating untrusted input. Bad input is a value, never an
 * exception: the ingest stage routes a rejection to the DLQ with its reason and counts it.
 */

/** Why a message was refused. Stable strings: they appear in DLQ properties and metrics. */
export type RejectionReason =
  /** Bytes are neither a valid SensorData AVRO record nor parseable JSON. */
  | 'undecodable'
  /** No sensorId / device_id, or an empty one. */
  | 'missing_id'
  /** A reading is NaN or ±Infinity. */
  | 'nan_value'
  /** A value is outside its physical or storable range (see LIMITS in validate.ts). */
  | 'out_of_range'
  /** sensorType / device_type is neither an integer code nor a non-empty name. */
  | 'unknown_sensor_type'
  /** status is not one of 1..4 or the names online/offline/maintenance/error. */
  | 'bad_status'
  /** A field has the wrong JSON type (e.g. an object where a number belongs). */
  | 'bad_field'
  /**
   * An id or label that is not clean text: invalid Unicode (a lone surrogate), a control
   * character, U+FFFD, or leading/trailing whitespace (see text.ts).
   */
  | 'bad_text'
  /** A JSON reading without any value: every reading field and status absent or null. */
  | 'empty_reading'
  /** Event time before 2000-01-01: 0, or seconds sent as milliseconds (see event-time.ts). */
  | 'invalid_timestamp'
  /** Event time further ahead of the ingest clock than the allowed skew (MAX_FUTURE_SKEW). */
  | 'future'
  /**
   * The message carries a schema version the topic's schema registry does not have (ingest,
   * services/ingest/src/writer-schemas.ts).
   */
  | 'unresolved_schema';

export interface Rejection {
  readonly ok: false;
  readonly reason: RejectionReason;
  /** Human-readable: which field, what value, what was expected. */
  readonly detail: string;
}

export interface Accepted<T> {
  readonly ok: true;
  readonly value: T;
}

export type Result<T> = Accepted<T> | Rejection;

export function accept<T>(value: T): Accepted<T> {
  return { ok: true, value };
}

export function reject(reason: RejectionReason, detail: string): Rejection {
  return { ok: false, reason, detail };
}
