// The loadgen's progress line (pure, so the wording is tested without a terminal).

export interface Progress {
  /** Messages handed to the producers. */
  sent: number;
  /** Messages the broker acknowledged. */
  acked: number;
  total: number;
  elapsedMs: number;
  targetRate: number;
}

/** Acknowledged messages per second of wall time so far (0 before any time has passed). */
export function achievedRate(acked: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (acked * 1000) / elapsedMs : 0;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const total = Math.max(0, Math.round(s));
  const m = Math.floor(total / 60);
  return m > 0 ? `${m}m${String(total % 60).padStart(2, '0')}s` : `${total}s`;
}

/** "sent 12000/60000 (20.0%), acked 11800, 29874 msg/s (target 30000), ETA 1m36s" */
export function formatProgress(p: Progress): string {
  const rate = achievedRate(p.acked, p.elapsedMs);
  const pct = p.total > 0 ? ((100 * p.sent) / p.total).toFixed(1) : '100.0';
  // Remaining at the pace so far, never faster than the target.
  const pace = Math.min(rate, p.targetRate);
  const eta = pace > 0 ? (p.total - p.acked) / pace : Infinity;
  return `sent ${p.sent}/${p.total} (${pct}%), acked ${p.acked}, ${Math.round(rate)} msg/s (target ${p.targetRate}), ETA ${formatSeconds(eta)}`;
}
