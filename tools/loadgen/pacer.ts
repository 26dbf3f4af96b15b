/**
 * Wall-clock pacing for the publisher: a token bucket (rate tokens per second, at most
 * `burst` saved up, so a short stall — GC, a slow receipt — is made up for, a long one is
 * not followed by an unbounded catch-up burst), and a
 * window of sends in flight so memory stays bounded when the broker is slower than the
 * generator. Both take their clock / promises from the caller and are unit-tested.
 */

export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    private readonly now: () => number,
  ) {
    if (!(ratePerSec > 0)) throw new RangeError(`ratePerSec must be > 0, got ${ratePerSec}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be ≥ 1, got ${burst}`);
    // Start nearly empty: a run begins at the rate, not with a burst.
    this.#tokens = 1;
    this.#last = now();
  }

  #refill(): void {
    const t = this.now();
    if (t > this.#last) {
      this.#tokens = Math.min(
        this.burst,
        this.#tokens + ((t - this.#last) * this.ratePerSec) / 1000,
      );
      this.#last = t;
    }
  }

  /** Takes up to `max` whole tokens now; returns how many (0 when the bucket is empty). */
  take(max: number): number {
    this.#refill();
    const n = Math.min(max, Math.floor(this.#tokens));
    this.#tokens -= n;
    return n;
  }

  /** Milliseconds until the next whole token is available (0 if one is). */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : ((1 - this.#tokens) * 1000) / this.ratePerSec;
  }
}

/**
 * Sends in flight, bounded: `add` registers a send; `belowLimit()` resolves once fewer than
 * `limit` are pending; `drain()` once none are. The first failure is kept and rethrown by
 * both, so the caller stops publishing at the next check.
 */
export class InFlight {
  #pending = 0;
  #error: unknown;
  #failed = false;
  #waiters: { below: number; resolve: () => void }[] = [];
  settled = 0;

  constructor(readonly limit: number) {}

  get pending(): number {
    return this.#pending;
  }

  add(p: Promise<unknown>): void {
    this.#pending++;
    p.then(
      () => this.#settle(),
      (err: unknown) => {
        if (!this.#failed) {
          this.#failed = true;
          this.#error = err;
        }
        this.#settle();
      },
    );
  }

  #settle(): void {
    this.#pending--;
    this.settled++;
    const ready = this.#waiters.filter((w) => this.#failed || this.#pending < w.below);
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** Throws the first send failure, if any. */
  check(): void {
    if (this.#failed) throw this.#error;
  }

  async #waitBelow(below: number): Promise<void> {
    this.check();
    if (this.#pending < below) return;
    await new Promise<void>((resolve) => this.#waiters.push({ below, resolve }));
    this.check();
  }

  /** Resolves when another send may start; rejects with the first send failure. */
  belowLimit(): Promise<void> {
    return this.#waitBelow(this.limit);
  }

  /** Resolves when every send added so far has settled; rejects with the first failure. */
  drain(): Promise<void> {
    return this.#waitBelow(1);
  }
}
