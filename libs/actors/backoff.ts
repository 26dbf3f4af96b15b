// Restart delays: exponential from initialMs, capped at maxMs, with ± jitter so that many
// partitions failing together (a Redis outage) do not all come back in the same instant.

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction of the delay to randomize, 0..1 (0.2 → ±20 %). */
  jitter?: number;
  random?: () => number;
}

/** The delay before restart attempt `attempt` (1 = first restart). */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const { initialMs = 100, maxMs = 30_000, factor = 2, jitter = 0.2, random = Math.random } = opts;
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}
