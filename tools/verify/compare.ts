/**
 * Row-by-row comparison of expected and actual window rows, keyed by
 * (device_id, window_start). Values are compared exactly by default: the accumulator is
 * bit-deterministic and ClickHouse round-trips Float64 exactly, so any difference is a
 * real one. A tolerance exists for comparing against other implementations (e.g. the
 * seed's Flink job, whose sums depend on arrival order).
 */
import { AGGREGATE_COLUMNS, type AggregateRow } from '@iot/windows';

export interface RowKey {
  device_id: string;
  window_start: number;
}

export interface FieldDiff {
  field: string;
  expected: string | number;
  actual: string | number | undefined;
}

export interface Mismatch {
  key: RowKey;
  diffs: FieldDiff[];
}

export interface Comparison {
  /** Expected rows. */
  rows: number;
  actualRows: number;
  matched: number;
  missing: RowKey[];
  /** Keys present only in actual, plus every repeat of a key in actual. */
  extra: RowKey[];
  /** Keys that appear more than once in actual (a FINAL read never has any). */
  duplicated: RowKey[];
  mismatched: Mismatch[];
  /** 0 = exact. Otherwise numbers match when |a − e| ≤ tolerance · max(1, |e|). */
  tolerance: number;
}

export interface CompareOptions {
  tolerance?: number;
  /** Columns to compare; defaults to every AggregateRow column. */
  columns?: readonly (keyof AggregateRow)[];
}

type Row = Pick<AggregateRow, 'device_id' | 'window_start'> &
  Partial<Record<keyof AggregateRow, string | number>>;

const keyOf = (r: RowKey): string => `${r.device_id}\u0000${r.window_start}`;
const keyFields = (r: RowKey): RowKey => ({ device_id: r.device_id, window_start: r.window_start });

function sameValue(e: string | number, a: string | number | undefined, tolerance: number): boolean {
  if (typeof e === 'number' && typeof a === 'number') {
    if (e === a || (Number.isNaN(e) && Number.isNaN(a))) return true;
    return tolerance > 0 && Math.abs(a - e) <= tolerance * Math.max(1, Math.abs(e));
  }
  return e === a;
}

export function compareRows(
  expected: readonly AggregateRow[],
  actual: readonly Row[],
  options: CompareOptions = {},
): Comparison {
  const tolerance = options.tolerance ?? 0;
  const columns = options.columns ?? AGGREGATE_COLUMNS;
  const actualByKey = new Map<string, Row>();
  const extra: RowKey[] = [];
  const duplicated = new Map<string, RowKey>();
  for (const row of actual) {
    const k = keyOf(row);
    if (actualByKey.has(k)) {
      extra.push(keyFields(row));
      duplicated.set(k, keyFields(row));
    } else actualByKey.set(k, row);
  }
  const missing: RowKey[] = [];
  const mismatched: Mismatch[] = [];
  let matched = 0;
  const seen = new Set<string>();
  for (const e of expected) {
    const k = keyOf(e);
    seen.add(k);
    const a = actualByKey.get(k);
    if (a === undefined) {
      missing.push(keyFields(e));
      continue;
    }
    const diffs: FieldDiff[] = [];
    for (const c of columns) {
      if (!sameValue(e[c], a[c], tolerance)) diffs.push({ field: c, expected: e[c], actual: a[c] });
    }
    if (diffs.length === 0) matched++;
    else mismatched.push({ key: keyFields(e), diffs });
  }
  for (const [k, row] of actualByKey) if (!seen.has(k)) extra.push(keyFields(row));
  return {
    rows: expected.length,
    actualRows: actual.length,
    matched,
    missing,
    extra,
    duplicated: [...duplicated.values()],
    mismatched,
    tolerance,
  };
}

export function isClean(c: Comparison): boolean {
  return c.missing.length === 0 && c.extra.length === 0 && c.mismatched.length === 0;
}

const showKey = (k: RowKey): string => `${k.device_id} @ ${new Date(k.window_start).toISOString()}`;

/**
 * Human report. First line: `exact: R rows, M missing, E extra, X mismatched` (or
 * `within ±tol: …`); then up to `maxDetails` examples of each problem with differing fields.
 */
export function formatComparison(c: Comparison, maxDetails = 10): string {
  const mode = c.tolerance === 0 ? 'exact' : `within ±${c.tolerance}`;
  const lines = [
    `${mode}: ${c.rows} rows, ${c.missing.length} missing, ${c.extra.length} extra, ${c.mismatched.length} mismatched`,
  ];
  const section = <T>(title: string, items: readonly T[], show: (item: T) => string): void => {
    if (items.length === 0) return;
    lines.push(`${title} (${items.length}):`);
    for (const item of items.slice(0, maxDetails)) lines.push(`  ${show(item)}`);
    if (items.length > maxDetails) lines.push(`  … ${items.length - maxDetails} more`);
  };
  section('missing', c.missing, showKey);
  section(
    'extra',
    c.extra,
    (k) =>
      `${showKey(k)}${c.duplicated.some((d) => keyOf(d) === keyOf(k)) ? ' (duplicate key)' : ''}`,
  );
  section(
    'mismatched',
    c.mismatched,
    (m) =>
      `${showKey(m.key)}: ${m.diffs.map((d) => `${d.field} expected ${JSON.stringify(d.expected)} got ${JSON.stringify(d.actual)}`).join('; ')}`,
  );
  return lines.join('\n');
}

/** Compares expected and observed counters (DLQ reasons, late, records); lists differences. */
export function compareCounts(
  expected: Readonly<Record<string, number>>,
  actual: Readonly<Record<string, number>>,
): string[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names
    .filter((n) => (expected[n] ?? 0) !== (actual[n] ?? 0))
    .map((n) => `${n}: expected ${expected[n] ?? 0}, got ${actual[n] ?? 0}`);
}
