/**
 * Event-time watermarks (pure: the caller passes `nowMs`; nothing here reads a clock).
 *
 * Per source partition p: W_p = (max event time seen on p) − maxOutOfOrdernessMs. A record
 * with event time < W_p is late (a record exactly at W_p is on time). The combined
 * watermark is the minimum W_p over the partitions that are active; a partition that has
 * seen nothing (records or upstream watermarks) for more than idleTimeoutMs is idle and
 * excluded, so windows still close when a source goes quiet. A window [s, e) is closed when
 * the combined watermark ≥ e (window.ts, isWindowClosed).
 *
 * What makes a partition idle is `idleness`:
 *  - 'timeout' (default): silence for more than idleTimeoutMs;
 *  - 'explicit': only an upstream statement (`markIdle`, e.g. ingest saying it has caught
 *    up with its source), until the partition's next record or watermark. Silence alone
 *    never counts: a stalled or cut-off upstream holds the watermark back, as it must, since
 *    it may still have a backlog.
 *
 * When every partition is idle the combined watermark is, by `whenAllIdle`:
 *  - 'max' (default): the greatest W_p — no partition holds the others back;
 *  - 'advance': the greatest W_p plus the processing time elapsed since the last activity
 *    beyond idleTimeoutMs ('explicit': since the last partition was declared idle), so the
 *    last windows of a finished stream close too.
 * Either way an idle partition that wakes up with old records can hit windows already
 * closed downstream; the aggregator must treat such records as late, never drop them
 * silently. Keep idleTimeoutMs well above the longest expected pause of a live partition.
 */

export interface WatermarkOptions {
  maxOutOfOrdernessMs: number;
  idleTimeoutMs: number;
  /** Partitions expected from the start; until idle, an unseen one holds the watermark. */
  partitions?: readonly string[];
  whenAllIdle?: 'max' | 'advance';
  idleness?: 'timeout' | 'explicit';
}

interface PartitionState {
  /** W_p, or null before the first record/marker. */
  watermark: number | null;
  lastActivityMs: number;
  /** When an upstream declared it idle ('explicit' idleness); null while active. */
  idleSince: number | null;
}

/** Plain-JSON state, persisted with the actor's position. */
export interface WatermarkSnapshot {
  v: 1;
  partitions: [partition: string, watermark: number | null, lastActivityMs: number][];
}

export class WatermarkTracker {
  readonly #opts: Required<Omit<WatermarkOptions, 'partitions'>>;
  readonly #parts = new Map<string, PartitionState>();

  constructor(options: WatermarkOptions, nowMs: number) {
    for (const k of ['maxOutOfOrdernessMs', 'idleTimeoutMs'] as const) {
      if (!Number.isSafeInteger(options[k]) || options[k] < 0) {
        throw new RangeError(`${k} must be a non-negative integer of ms, got ${options[k]}`);
      }
    }
    this.#opts = {
      maxOutOfOrdernessMs: options.maxOutOfOrdernessMs,
      idleTimeoutMs: options.idleTimeoutMs,
      whenAllIdle: options.whenAllIdle ?? 'max',
      idleness: options.idleness ?? 'timeout',
    };
    for (const p of options.partitions ?? [])
      this.#parts.set(p, { watermark: null, lastActivityMs: nowMs, idleSince: null });
  }

  #state(partition: string, nowMs: number): PartitionState {
    let s = this.#parts.get(partition);
    if (s === undefined) {
      s = { watermark: null, lastActivityMs: nowMs, idleSince: null };
      this.#parts.set(partition, s);
    }
    if (nowMs > s.lastActivityMs) s.lastActivityMs = nowMs;
    s.idleSince = null;
    return s;
  }

  /** Something other than a record or a watermark came from `partition`: it is not idle. */
  active(partition: string, nowMs: number): void {
    this.#state(partition, nowMs);
  }

  /**
   * The upstream of `partition` says it is idle: it has nothing pending ('explicit'
   * idleness). It stays idle until its next record or watermark.
   */
  markIdle(partition: string, nowMs: number): void {
    let s = this.#parts.get(partition);
    if (s === undefined) {
      s = { watermark: null, lastActivityMs: nowMs, idleSince: null };
      this.#parts.set(partition, s);
    }
    s.idleSince ??= nowMs;
  }

  #idle(s: PartitionState, nowMs: number): boolean {
    return this.#opts.idleness === 'explicit'
      ? s.idleSince !== null
      : nowMs - s.lastActivityMs > this.#opts.idleTimeoutMs;
  }

  /**
   * A record arrived on `partition`. Returns true when it is late (event time below the
   * partition's watermark as it stood before this record); late records do not move the
   * watermark but do count as activity.
   */
  observe(partition: string, eventTimeMs: number, nowMs: number): boolean {
    const s = this.#state(partition, nowMs);
    if (s.watermark !== null && eventTimeMs < s.watermark) return true;
    const w = eventTimeMs - this.#opts.maxOutOfOrdernessMs;
    if (s.watermark === null || w > s.watermark) s.watermark = w;
    return false;
  }

  /** An upstream watermark marker for `partition` (monotonic: a lower one is ignored). */
  observeWatermark(partition: string, watermarkMs: number, nowMs: number): void {
    const s = this.#state(partition, nowMs);
    if (s.watermark === null || watermarkMs > s.watermark) s.watermark = watermarkMs;
  }

  /**
   * A partition that appeared since (a source topic's partition count was raised): until it
   * reports or goes idle it holds the combined watermark, like those expected from the start.
   * A partition already known is left as it is.
   */
  expect(partition: string, nowMs: number): void {
    if (!this.#parts.has(partition)) this.#state(partition, nowMs);
  }

  /** Whether `eventTimeMs` would be late on `partition` now. */
  isLate(partition: string, eventTimeMs: number): boolean {
    const w = this.#parts.get(partition)?.watermark ?? null;
    return w !== null && eventTimeMs < w;
  }

  watermarkOf(partition: string): number | null {
    return this.#parts.get(partition)?.watermark ?? null;
  }

  /** Partitions that are not idle at `nowMs`, sorted. */
  activePartitions(nowMs: number): string[] {
    return [...this.#parts]
      .filter(([, s]) => !this.#idle(s, nowMs))
      .map(([p]) => p)
      .sort();
  }

  /** The combined watermark at `nowMs`; null while no window may close. */
  current(nowMs: number): number | null {
    let min: number | null = null;
    let anyActive = false;
    let max: number | null = null;
    let lastActivity = -Infinity;
    let lastIdle = -Infinity;
    for (const s of this.#parts.values()) {
      if (s.watermark !== null && (max === null || s.watermark > max)) max = s.watermark;
      if (s.lastActivityMs > lastActivity) lastActivity = s.lastActivityMs;
      if (s.idleSince !== null && s.idleSince > lastIdle) lastIdle = s.idleSince;
      if (this.#idle(s, nowMs)) continue;
      if (s.watermark === null) return null; // an active partition without a watermark holds all
      anyActive = true;
      if (min === null || s.watermark < min) min = s.watermark;
    }
    if (anyActive) return min;
    if (max === null) return null;
    if (this.#opts.whenAllIdle === 'advance') {
      const idleFor =
        this.#opts.idleness === 'explicit'
          ? nowMs - lastIdle
          : nowMs - lastActivity - this.#opts.idleTimeoutMs;
      return max + Math.max(0, idleFor);
    }
    return max;
  }

  toJSON(): WatermarkSnapshot {
    return {
      v: 1,
      partitions: [...this.#parts]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([p, s]) => [p, s.watermark, s.lastActivityMs]),
    };
  }

  /**
   * Restores a snapshot. `nowMs` becomes every partition's last activity: a restart is not
   * evidence that a partition went quiet, so all start active again.
   */
  static fromJSON(
    snapshot: WatermarkSnapshot,
    options: WatermarkOptions,
    nowMs: number,
  ): WatermarkTracker {
    if (snapshot.v !== 1 || !Array.isArray(snapshot.partitions)) {
      throw new Error('unreadable watermark snapshot: expected { v: 1, partitions: [...] }');
    }
    const t = new WatermarkTracker(options, nowMs);
    for (const [p, w] of snapshot.partitions) {
      const s = t.#state(p, nowMs);
      if (w !== null && (s.watermark === null || w > s.watermark)) s.watermark = w;
    }
    return t;
  }
}
