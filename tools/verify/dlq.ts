/**
 * DLQ entries by reason, each counted once. A replay can publish one entry twice; ingest
 * stamps every entry with its origin (source partition + position), so entries with the
 * same origin are one. Entries without an origin (e.g. the aggregator's late records) cannot
 * be told apart from a republish, so each of those counts by its own message id.
 */
import { PROP } from '@iot/channel';

export interface DlqEntry {
  properties: Readonly<Record<string, string>>;
  /** The DLQ message's own id, used when the entry carries no origin. */
  id: string;
  /** Broker publish time, epoch ms. */
  publishTime: number;
}

export class DlqTally {
  readonly #reasons = new Map<string, string>();
  /** Entries read, repeats included. */
  read = 0;
  /** Entries skipped because they were published before `sinceMs`. */
  skipped = 0;
  /** Entries without an origin (counted by message id). */
  withoutOrigin = 0;

  constructor(readonly sinceMs = 0) {}

  add(entry: DlqEntry): void {
    if (entry.publishTime < this.sinceMs) {
      this.skipped++;
      return;
    }
    this.read++;
    const partition = entry.properties[PROP.originPartition];
    const position = entry.properties[PROP.originPosition];
    let key: string;
    if (partition !== undefined && position !== undefined && position !== '') {
      key = `origin ${partition}/${position}`;
    } else {
      key = `self ${entry.id}`;
      if (!this.#reasons.has(key)) this.withoutOrigin++;
    }
    this.#reasons.set(key, entry.properties[PROP.reason] ?? 'unknown');
  }

  /** Distinct entries. */
  get distinct(): number {
    return this.#reasons.size;
  }

  byReason(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.#reasons.values()) out[r] = (out[r] ?? 0) + 1;
    return out;
  }
}

/** "late 12, undecodable 3" (sorted by reason; "none" when empty). */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  const names = Object.keys(counts)
    .filter((n) => (counts[n] ?? 0) !== 0)
    .sort();
  return names.length === 0 ? 'none' : names.map((n) => `${n} ${counts[n]}`).join(', ');
}
