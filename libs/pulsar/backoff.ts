// Exponential backoff with jitter for reconnects: initial, doubling, capped.

export class Backoff {
  private current: number;

  constructor(
    private readonly initialMs = 100,
    private readonly maxMs = 30_000,
  ) {
    this.current = initialMs;
  }

  next(): number {
    const base = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return Math.round(base * (0.9 + Math.random() * 0.2));
  }

  reset(): void {
    this.current = this.initialMs;
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
