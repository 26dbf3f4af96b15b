/** Device status codes, as the seed defines them (1 online, 2 offline, 3 maintenance, 4 error). */
export const STATUS = {
  ONLINE: 1,
  OFFLINE: 2,
  MAINTENANCE: 3,
  ERROR: 4,
} as const;

export type StatusCode = (typeof STATUS)[keyof typeof STATUS];

export const STATUS_NAMES: Readonly<Record<StatusCode, string>> = {
  1: 'online',
  2: 'offline',
  3: 'maintenance',
  4: 'error',
};

const BY_NAME: ReadonlyMap<string, StatusCode> = new Map([
  ['online', STATUS.ONLINE],
  ['offline', STATUS.OFFLINE],
  ['maintenance', STATUS.MAINTENANCE],
  ['error', STATUS.ERROR],
]);

export function isStatusCode(value: number): value is StatusCode {
  return value === 1 || value === 2 || value === 3 || value === 4;
}

/**
 * Status from a legacy JSON value: a code (number or numeric string) or a name, case and
 * surrounding blanks ignored. Undefined when it is neither.
 */
export function parseStatus(value: unknown): StatusCode | undefined {
  if (typeof value === 'number') return isStatusCode(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  const named = BY_NAME.get(text);
  if (named !== undefined) return named;
  if (/^[0-9]+$/.test(text)) {
    const code = Number(text);
    return isStatusCode(code) ? code : undefined;
  }
  return undefined;
}
