export {
  ALERT_COLUMNS,
  DEFAULT_DATABASE,
  SENSORS_LOCAL_COLUMNS,
  aggregateColumnType,
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
