// Finds the rows ClickHouse refuses in a batch it refused, by bisection: insert the batch;
// if it is refused, insert each half, and so on down to single rows. Rows in accepted pieces
// are written; the single rows still refused are returned, each with its error. A batch
// with k refused rows out of n costs about 2·k·log2(n) inserts, and nothing when it is
// accepted whole (one insert, as before).
//
// Re-inserting is safe: every table is a ReplacingMergeTree keyed by what makes a row unique,
// and a refused INSERT writes nothing (one block, all or nothing), so a piece accepted on a
// second try is one copy once merged or read through FINAL.

export interface Refused<T> {
  item: T;
  error: unknown;
}

/**
 * `insert` must either write all of `items` or throw; `isRefusal` tells a refusal of the
 * data (split and try again) from anything else (rethrown: the caller retries those).
 */
export async function insertIsolatingRefused<T>(
  items: readonly T[],
  insert: (items: readonly T[]) => Promise<void>,
  isRefusal: (err: unknown) => boolean,
): Promise<Refused<T>[]> {
  if (items.length === 0) return [];
  try {
    await insert(items);
    return [];
  } catch (error) {
    if (!isRefusal(error)) throw error;
    if (items.length === 1) return [{ item: items[0] as T, error }];
  }
  const mid = Math.ceil(items.length / 2);
  const left = await insertIsolatingRefused(items.slice(0, mid), insert, isRefusal);
  const right = await insertIsolatingRefused(items.slice(mid), insert, isRefusal);
  return [...left, ...right];
}
