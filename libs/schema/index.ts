export {
  accept,
  reject,
  type Accepted,
  type Rejection,
  type RejectionReason,
  type Result,
} from './result.ts';
export { STATUS, STATUS_NAMES, isStatusCode, parseStatus, type StatusCode } from './status.ts';
export { SENSOR_TYPES, sensorTypeName } from './sensor-types.ts';
export {
  COUNTER_FIELDS,
  DEFAULT_CUSTOMER_ID,
  FLOAT_FIELDS,
  RECORD_DEFAULTS,
  RECORD_FIELDS,
  SITE_COUNT,
  STRING_FIELDS,
  deviceIdFor,
  siteIdFor,
  type CounterField,
  type FloatField,
  type SensorRecord,
} from './record.ts';
export {
  SENSOR_DATA_SCHEMA,
  decodeSensorData,
  encodeSensorData,
  sensorDataType,
  type SensorData,
} from './avro.ts';
export { mapSensorData } from './mapping.ts';
export {
  INTEGER_MAX,
  SENSORS_LOCAL_COLUMNS,
  sensorsLocalMax,
  sensorsLocalType,
  type Column,
  type ColumnType,
  type IntegerColumnType,
} from './columns.ts';
export { DEFAULT_MAX_FUTURE_SKEW_MS, MIN_EVENT_TIME_MS, checkEventTime } from './event-time.ts';
export {
  COUNTER_LIMITS,
  LIMITS,
  MAX_EVENT_TIME_MS,
  MAX_MAGNITUDE,
  MAX_STRING_LENGTH,
  validateRecord,
} from './validate.ts';
export {
  MAX_JSON_BYTES,
  MAX_JSON_DEPTH,
  decodeLegacyJson,
  mapLegacyObject,
} from './legacy-json.ts';
export { decodeSensorMessage, fallbackTime, type SensorMessage } from './message.ts';
export {
  RECORD_FORMAT_V1,
  SENSOR_RECORD_SCHEMA,
  decodeRecord,
  encodeRecord,
} from './record-codec.ts';
