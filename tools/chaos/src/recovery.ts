// What the chaos report measures from the backlog samples: when a fault recovered (the
// backlog back under its pre-fault level) and the peak it reached. Pure functions.

export interface Sample {
  atMs: number;
  /** Unacknowledged messages on the pipeline's subscriptions; undefined when unreadable. */
  backlog: number | undefined;
}

export interface Recovery {
  /** The highest backlog in the `lookbackMs` before the fault (else the last one read). */
  preFault: number | undefined;
  peak: number | undefined;
  /** From the fault's start to the first sample at or under `preFault` after its end. */
  recoverMs: number | undefined;
  /**
   * From the fault's end to that sample: the pipeline's own share. `recoverMs` includes the
   * fault itself (a 75 s SIGSTOP, a server's 30 s outage and its restart).
   */
  catchUpMs: number | undefined;
}

/**
 * `endMs` is when the fault itself ended (the server came back, the process was continued);
 * samples before it never count as recovered.
 */
export function recoveryOf(
  samples: readonly Sample[],
  startMs: number,
  endMs: number,
  lookbackMs = 10_000,
): Recovery {
  const readable = samples.filter((s) => s.atMs <= startMs && s.backlog !== undefined);
  const recent = readable.filter((s) => s.atMs >= startMs - lookbackMs);
  // Unreadable just before (another fault had the broker down): the last level read.
  const before = recent.length > 0 ? recent : readable.slice(-1);
  const preFault = before.length === 0 ? undefined : Math.max(...before.map((s) => s.backlog!));
  let peak: number | undefined;
  let recoverMs: number | undefined;
  for (const s of samples) {
    if (s.atMs < startMs || s.backlog === undefined) continue;
    if (recoverMs === undefined) peak = Math.max(peak ?? 0, s.backlog);
    if (recoverMs === undefined && s.atMs >= endMs && preFault !== undefined) {
      if (s.backlog <= preFault) recoverMs = s.atMs - startMs;
    }
  }
  const catchUpMs = recoverMs === undefined ? undefined : startMs + recoverMs - endMs;
  return { preFault, peak, recoverMs, catchUpMs };
}

/** p50 and max of the numbers given (undefined when there are none). */
export function p50Max(values: readonly number[]): { p50?: number; max?: number } {
  if (values.length === 0) return {};
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.floor((sorted.length - 1) / 2)]!, max: sorted.at(-1)! };
}
