// Named readiness checks behind /readyz. A check is either a state the service sets
// (set('pulsar', true)) or a function polled on each request (register('redis', ping)).

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

  remove(name: string): void {
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
