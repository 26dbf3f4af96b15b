/**
 * The ClickHouse columns a reading ends up in (benchmark.sensors_local) and the values each
 * column type can hold. One table: libs/clickhouse writes its DDL and RowBinary from it, and
 * validateRecord derives its integer ranges from it, so a value the validator accepts is a
 * value ClickHouse stores (a counter it refuses would stop the writer).
 */

export type ColumnType = 'String' | 'Float64' | 'UInt8' | 'UInt32' | 'UInt64' | 'DateTime';
export type IntegerColumnType = Exclude<ColumnType, 'String' | 'Float64'>;
export type Column = readonly [name: string, type: ColumnType];

/**
 * Largest value of each integer column type (all unsigned, so the least is 0). DateTime is
 * UInt32 seconds. UInt64 is capped at 2^53 - 1, the largest integer a JS number holds exactly.
 */
export const INTEGER_MAX: Readonly<Record<IntegerColumnType, number>> = {
  UInt8: 0xff,
  UInt32: 0xffffffff,
  DateTime: 0xffffffff,
  UInt64: Number.MAX_SAFE_INTEGER,
};

/** The seed's benchmark.sensors_local columns, in its INSERT order, with types. */
export const SENSORS_LOCAL_COLUMNS: readonly Column[] = [
  ['device_id', 'String'],
  ['device_type', 'String'],
  ['customer_id', 'String'],
  ['site_id', 'String'],
  ['latitude', 'Float64'],
  ['longitude', 'Float64'],
  ['altitude', 'Float64'],
  ['time', 'DateTime'],
  ['temperature', 'Float64'],
  ['humidity', 'Float64'],
  ['pressure', 'Float64'],
  ['co2_level', 'Float64'],
  ['noise_level', 'Float64'],
  ['light_level', 'Float64'],
  ['motion_detected', 'UInt8'],
  ['battery_level', 'Float64'],
  ['signal_strength', 'Float64'],
  ['memory_usage', 'Float64'],
  ['cpu_usage', 'Float64'],
  ['status', 'UInt8'],
  ['error_count', 'UInt32'],
  ['packets_sent', 'UInt64'],
  ['packets_received', 'UInt64'],
  ['bytes_sent', 'UInt64'],
  ['bytes_received', 'UInt64'],
];

/** Type of a sensors_local column; throws on a name that is not one (a programming error). */
export function sensorsLocalType(column: string): ColumnType {
  const found = SENSORS_LOCAL_COLUMNS.find(([name]) => name === column);
  if (found === undefined) throw new Error(`sensors_local has no column ${column}`);
  return found[1];
}

/** Largest value an integer sensors_local column holds. */
export function sensorsLocalMax(column: string): number {
  const type = sensorsLocalType(column);
  if (type === 'String' || type === 'Float64') {
    throw new Error(`sensors_local.${column} is ${type}, not an integer column`);
  }
  return INTEGER_MAX[type];
}
