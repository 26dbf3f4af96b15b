// The project's one backoff helper: exponential from initialMs, capped at maxMs, with ±
// jitter so that many clients failing together (a broker restart, a ClickHouse outage, a
// Redis outage) do not all come back in the same instant.
//
// Why it lives here: @iot/pulsar depends on no other workspace (it is a self-contained
// client), and it needs a backoff for reconnects; the actors' restarts and the writer's
// ClickHouse retries import it from `@iot/pulsar/backoff` (this file alone, not the client)
// rather than each keeping its own copy.

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction of the delay to randomize, 0..1 (0.2 → ±20 %). */
  jitter?: number;
  random?: () => number;
}

/** The delay before attempt `attempt` (1 = first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const { initialMs = 100, maxMs = 30_000, factor = 2, jitter = 0.2, random = Math.random } = opts;
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}

/** Stateful form for reconnect loops: next() delays grow until reset(). */
export class Backoff {
  private attempt = 0;
  private readonly opts: BackoffOptions;

  constructor(
    initialMs = 100,
    maxMs = 30_000,
    opts: Omit<BackoffOptions, 'initialMs' | 'maxMs'> = {},
  ) {
    this.opts = { jitter: 0.1, ...opts, initialMs, maxMs };
  }

  next(): number {
    return backoffDelay(++this.attempt, this.opts);
  }

  reset(): void {
    this.attempt = 0;
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
