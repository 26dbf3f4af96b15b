// Named readiness checks behind /readyz. A check is either a state the service sets
// (set('pulsar', true)), a function polled on each request (register('redis', ping)), or a
// dependency probe run in the background every few seconds (watch('redis', ping)), whose
// last answer is a state: cheap to read on every request and for /healthz, and the
// dependency sees one ping per interval however often the orchestrator asks.

export interface CheckResult {
  readonly name: string;
  readonly ready: boolean;
  readonly reason?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: readonly CheckResult[];
  /** Names of the checks that are not ready. */
  readonly failing: readonly string[];
}

type Probe = () => boolean | Promise<boolean>;

export class Readiness {
  readonly #checks = new Map<string, { state: boolean; reason?: string } | Probe>();
  readonly #timeoutMs: number;
  readonly #watchers = new Map<string, NodeJS.Timeout>();

  /** `timeoutMs` bounds each polled check; a check that takes longer is not ready. */
  constructor(opts: { timeoutMs?: number } = {}) {
    this.#timeoutMs = opts.timeoutMs ?? 1000;
  }

  set(name: string, ready: boolean, reason?: string): void {
    this.#checks.set(name, reason === undefined ? { state: ready } : { state: ready, reason });
  }

  register(name: string, probe: Probe): void {
    this.#checks.set(name, probe);
  }

  /**
   * Runs `probe` now and every `intervalMs` (default 5 s) and keeps its answer as the state
   * of `name`; a probe that throws or takes longer than the timeout is not ready, with the
   * error as the reason. Resolves after the first answer.
   */
  async watch(name: string, probe: Probe, opts: { intervalMs?: number } = {}): Promise<void> {
    const poll = async (): Promise<void> => {
      const r = await this.#poll(name, probe);
      // Answers that arrive after a remove() or stopWatching() are dropped.
      if (this.#watchers.get(name) === timer) this.set(name, r.ready, r.reason);
    };
    clearInterval(this.#watchers.get(name));
    const timer = setInterval(() => void poll(), opts.intervalMs ?? 5000);
    timer.unref();
    this.#watchers.set(name, timer);
    this.set(name, false, 'not checked yet');
    await poll();
  }

  /** Stops the background probes (their last states stay). */
  stopWatching(): void {
    for (const t of this.#watchers.values()) clearInterval(t);
    this.#watchers.clear();
  }

  /** Names of the set or watched checks that are not ready now (polled checks not run). */
  failingStates(): string[] {
    return [...this.#checks]
      .filter(([, c]) => typeof c !== 'function' && !c.state)
      .map(([name]) => name);
  }

  remove(name: string): void {
    clearInterval(this.#watchers.get(name));
    this.#watchers.delete(name);
    this.#checks.delete(name);
  }

  async evaluate(): Promise<ReadinessReport> {
    const checks = await Promise.all(
      [...this.#checks].map(([name, check]) =>
        typeof check === 'function'
          ? this.#poll(name, check)
          : { name, ready: check.state, ...reasonOf(check) },
      ),
    );
    const failing = checks.filter((c) => !c.ready).map((c) => c.name);
    return { ready: failing.length === 0, checks, failing };
  }

  async #poll(name: string, probe: Probe): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ name, ready: false, reason: `no answer within ${this.#timeoutMs} ms` }),
        this.#timeoutMs,
      );
    });
    const answer = (async (): Promise<CheckResult> => {
      try {
        return { name, ready: (await probe()) === true };
      } catch (err) {
        return { name, ready: false, reason: err instanceof Error ? err.message : String(err) };
      }
    })();
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function reasonOf(check: { reason?: string }): { reason?: string } {
  return check.reason === undefined ? {} : { reason: check.reason };
}
