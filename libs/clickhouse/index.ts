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
export { identifier, integerLiteral, stringLiteral } from './sql.ts';
