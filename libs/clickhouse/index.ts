export {
  ALERT_COLUMNS,
  DEFAULT_DATABASE,
  LOCAL_SUFFIX,
  SENSORS_LOCAL_COLUMNS,
  SHARDING_KEY,
  aggregateColumnType,
  clusterSchemaStatements,
  schemaStatements,
} from './ddl.ts';
export {
  aggregateFromClickHouse,
  aggregateToClickHouse,
  alertFromClickHouse,
  alertToClickHouse,
  dominantStatus,
  sensorsLocalFromAggregate,
  type AggregateInsert,
  type AlertInsert,
  type StoredAggregate,
  type StoredAlert,
} from './rows.ts';
export {
  ClickHouseSink,
  type AggregateFilter,
  type AlertFilter,
  type ClickHouseLike,
  type SinkOptions,
} from './sink.ts';
export {
  REFUSED_CODES,
  UnencodableRowError,
  classifyInsertError,
  clickHouseCode,
  type InsertErrorClass,
  type TransientClass,
} from './insert-errors.ts';
export { identifier, integerLiteral, stringLiteral } from './sql.ts';
