// Graceful shutdown: on SIGTERM or SIGINT, run the stop hooks one after another, in the order
// they were registered, within one deadline; then exit (0 if every hook succeeded).
// Register in the order things should stop: stop taking input, drain, flush, close clients.

import type { Logger } from './logger.ts';

type Hook = { name: string; stop: () => unknown };

/** The parts of `process` shutdown uses; tests pass a fake. */
export interface SignalSource {
  once(signal: NodeJS.Signals, listener: () => void): unknown;
  removeListener(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface ShutdownOptions {
  log: Logger;
  /** Deadline for all hooks together. */
  timeoutMs: number;
  exit?: (code: number) => void;
  process?: SignalSource;
  signals?: readonly NodeJS.Signals[];
}

export class Shutdown {
  readonly #hooks: Hook[] = [];
  readonly #lastHooks: Hook[] = [];
  readonly #opts: ShutdownOptions;
  readonly #exit: (code: number) => void;
  readonly #listeners = new Map<NodeJS.Signals, () => void>();
  #running: Promise<number> | undefined;

  constructor(opts: ShutdownOptions) {
    this.#opts = opts;
    this.#exit = opts.exit ?? ((code) => process.exit(code));
  }

  get stopping(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Adds a stop hook. Hooks run in registration order; `last` hooks run after all others
   * (the ops server and the trace exporter, so health and spans survive the drain).
   */
  onStop(name: string, stop: () => unknown, opts: { last?: boolean } = {}): void {
    (opts.last === true ? this.#lastHooks : this.#hooks).push({ name, stop });
  }

  /** Listens for the signals; a second signal while stopping exits at once with code 1. */
  install(): this {
    const source = this.#opts.process ?? process;
    for (const signal of this.#opts.signals ?? ['SIGTERM', 'SIGINT']) {
      const listener = () => {
        if (this.stopping) {
          this.#opts.log.warn('second signal while stopping: exiting now', { signal });
          this.#exit(1);
          return;
        }
        source.once(signal, listener);
        void this.stop(`signal ${signal}`);
      };
      this.#listeners.set(signal, listener);
      source.once(signal, listener);
    }
    return this;
  }

  /** Runs the hooks once (later calls share the first run) and exits; resolves to the exit code. */
  stop(reason: string, exitCode = 0): Promise<number> {
    this.#running ??= this.#run(reason, exitCode);
    return this.#running;
  }

  async #run(reason: string, initialCode: number): Promise<number> {
    const { log, timeoutMs } = this.#opts;
    log.info('stopping', { reason, timeout_ms: timeoutMs });
    const started = Date.now();
    let code = initialCode;
    let current = '';
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), timeoutMs);
    });
    const hooks = (async () => {
      for (const hook of [...this.#hooks, ...this.#lastHooks]) {
        current = hook.name;
        try {
          await hook.stop();
          log.debug('stopped', { hook: hook.name });
        } catch (err) {
          code = 1;
          log.error('stop hook failed', { hook: hook.name, err });
        }
      }
      return 'done' as const;
    })();
    const outcome = await Promise.race([hooks, deadline]);
    clearTimeout(timer);
    if (outcome === 'deadline') {
      code = 1;
      log.error('shutdown deadline passed', { timeout_ms: timeoutMs, hook: current });
    } else {
      log.info('stopped', { reason, code, duration_ms: Date.now() - started });
    }
    this.#uninstall();
    this.#exit(code);
    return code;
  }

  #uninstall(): void {
    const source = this.#opts.process ?? process;
    for (const [signal, listener] of this.#listeners) source.removeListener(signal, listener);
    this.#listeners.clear();
  }
}
