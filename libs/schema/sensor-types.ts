/**
 * sensorType codes → device_type names. The seed documents only 1 = "temperature_sensor";
 * the others are ours, fixed here once. An unknown code is not an error (the seed never
 * rejected a reading for its type): it maps to "unknown_type_<n>", so the reading is kept
 * and the odd type is visible in ClickHouse.
 */
export const SENSOR_TYPES: Readonly<Record<number, string>> = {
  0: 'generic_sensor',
  1: 'temperature_sensor',
  2: 'humidity_sensor',
  3: 'pressure_sensor',
  4: 'motion_sensor',
  5: 'light_sensor',
  6: 'co2_sensor',
  7: 'noise_sensor',
  8: 'multi_sensor',
};

export function sensorTypeName(code: number): string {
  return SENSOR_TYPES[code] ?? `unknown_type_${code}`;
}
