// A supervisor owns one actor per key (a partition). When an actor fails it builds a new one
// with the factory — which loads the last committed state and rewinds the source to the
// committed position — after an exponential backoff that resets once a batch succeeds.
// stop(key) ends an actor for good (partition lost or process stopping).
//
// While a key has no running actor (starting, restarting, stopping) send() rejects: the
// message was not processed and must not be acknowledged; the replay from the committed
// position delivers it again. Queuing it instead could put it after a gap and lose data.

import { setTimeout as sleep } from 'node:timers/promises';

import { Actor, type ActorExit, type ActorOptions, type Behavior } from './actor.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';

export interface StartContext {
  /** 0 on the first start, then the number of consecutive failures before this start. */
  readonly attempt: number;
  /** Why the previous incarnation (or factory call) failed. */
  readonly lastError?: unknown;
  /** Aborted when the key is stopped while the factory runs. */
  readonly signal: AbortSignal;
}

export type ActorFactory<K, M> = (key: K, ctx: StartContext) => Behavior<M> | Promise<Behavior<M>>;

export type SupervisorEvent<K> =
  | { type: 'started'; key: K; attempt: number }
  | { type: 'failed'; key: K; attempt: number; error: unknown; unprocessed: number }
  | { type: 'restarting'; key: K; attempt: number; delayMs: number }
  | { type: 'stopped'; key: K; unprocessed: number };

export interface SupervisorOptions<K, M> {
  /** Names actors "<name>/<key>" in status and errors. */
  name: string;
  factory: ActorFactory<K, M>;
  actor?: Pick<ActorOptions, 'maxBatch' | 'capacity'>;
  backoff?: BackoffOptions;
  /** Waits before a restart; rejects when the signal aborts (tests replace it). */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Lifecycle events, for logs and metrics. */
  onEvent?: (event: SupervisorEvent<K>) => void;
}

export type KeyState = 'starting' | 'running' | 'restarting' | 'stopping';

export interface KeyStatus<K> {
  readonly key: K;
  readonly state: KeyState;
  /** Consecutive failures since the last successful batch. */
  readonly failures: number;
  /** Factory calls after the first (restarts, and retries of a failed factory). */
  readonly restarts: number;
  readonly lastError?: string;
  readonly mailbox: number;
  readonly processed: number;
}

/** send() found no running actor for the key: the message was not processed. */
export class ActorUnavailableError extends Error {
  constructor(
    readonly key: unknown,
    readonly state: KeyState | 'not owned',
  ) {
    super(`no running actor for ${String(key)} (${state}): message not processed`);
    this.name = 'ActorUnavailableError';
  }
}

interface Entry<K, M> {
  readonly key: K;
  state: KeyState;
  actor: Actor<M> | undefined;
  failures: number;
  restarts: number;
  processed: number;
  lastError: unknown;
  stopRequested: boolean;
  drain: boolean;
  readonly abort: AbortController;
  readonly started: Promise<void>;
  readonly finished: Promise<void>;
}

const abortableSleep = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal });

export class Supervisor<K, M> {
  readonly #opts: SupervisorOptions<K, M>;
  readonly #entries = new Map<K, Entry<K, M>>();

  constructor(opts: SupervisorOptions<K, M>) {
    this.#opts = opts;
  }

  /**
   * Starts the actor for `key` (no-op when it exists). Resolves when it first runs; rejects
   * if the key is stopped before that. Factory failures are retried with backoff meanwhile.
   */
  start(key: K): Promise<void> {
    const existing = this.#entries.get(key);
    if (existing !== undefined) return existing.started;

    let markStarted!: () => void;
    let markNeverStarted!: (err: Error) => void;
    let markFinished!: () => void;
    const entry: Entry<K, M> = {
      key,
      state: 'starting',
      actor: undefined,
      failures: 0,
      restarts: 0,
      processed: 0,
      lastError: undefined,
      stopRequested: false,
      drain: false,
      abort: new AbortController(),
      started: new Promise<void>((resolve, reject) => {
        markStarted = resolve;
        markNeverStarted = reject;
      }),
      finished: new Promise<void>((resolve) => (markFinished = resolve)),
    };
    // Callers that do not await start() must not see an unhandled rejection.
    entry.started.catch(() => {});
    this.#entries.set(key, entry);
    void this.#supervise(entry, markStarted).then(() => {
      this.#entries.delete(key);
      markNeverStarted(new ActorUnavailableError(key, 'stopping'));
      markFinished();
    });
    return entry.started;
  }

  /** Sends to the key's actor; see ActorUnavailableError and ActorStoppedError for refusals. */
  send(key: K, msg: M): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return Promise.reject(new ActorUnavailableError(key, 'not owned'));
    if (entry.state !== 'running' || entry.actor === undefined) {
      return Promise.reject(new ActorUnavailableError(key, entry.state));
    }
    return entry.actor.send(msg);
  }

  /**
   * Stops the key's actor for good: the batch in progress completes; with `drain`, all
   * accepted messages are processed first. Resolves when it is gone.
   */
  async stop(key: K, opts: { drain?: boolean } = {}): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    if (!entry.stopRequested) {
      entry.stopRequested = true;
      entry.drain = opts.drain === true;
      entry.state = 'stopping';
      entry.abort.abort();
      void entry.actor?.stop({ drain: entry.drain });
    }
    await entry.finished;
  }

  stopAll(opts: { drain?: boolean } = {}): Promise<void> {
    return Promise.all([...this.#entries.keys()].map((k) => this.stop(k, opts))).then(() => {});
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  keys(): K[] {
    return [...this.#entries.keys()];
  }

  status(): KeyStatus<K>[] {
    return [...this.#entries.values()].map((e) => {
      const stats = e.actor?.stats();
      return {
        key: e.key,
        state: e.state,
        failures: e.failures,
        restarts: e.restarts,
        ...(e.lastError === undefined ? {} : { lastError: describe(e.lastError) }),
        mailbox: stats?.mailbox ?? 0,
        processed: e.processed + (stats?.processed ?? 0),
      };
    });
  }

  async #supervise(entry: Entry<K, M>, markStarted: () => void): Promise<void> {
    const { name, factory, onEvent } = this.#opts;
    const delay = this.#opts.delay ?? abortableSleep;
    while (!entry.stopRequested) {
      if (entry.failures > 0) {
        entry.state = 'restarting';
        const delayMs = backoffDelay(entry.failures, this.#opts.backoff);
        onEvent?.({ type: 'restarting', key: entry.key, attempt: entry.failures, delayMs });
        try {
          await delay(delayMs, entry.abort.signal);
        } catch {
          break; // stopped during the backoff
        }
        if (entry.stopRequested) break;
        entry.restarts += 1;
      }

      let behavior: Behavior<M>;
      try {
        const ctx: StartContext = {
          attempt: entry.failures,
          signal: entry.abort.signal,
          ...(entry.lastError === undefined ? {} : { lastError: entry.lastError }),
        };
        behavior = await factory(entry.key, ctx);
      } catch (error) {
        if (entry.stopRequested) break;
        this.#failed(entry, error, 0);
        continue;
      }
      if (entry.stopRequested) {
        // Stopped while the factory ran: release what it built, never run it.
        await Promise.resolve(behavior.close?.({ state: 'stopped', unprocessed: 0 })).catch(
          () => {},
        );
        break;
      }

      const actor = new Actor(behavior, {
        ...this.#opts.actor,
        name: `${name}/${String(entry.key)}`,
        // Progress: the next failure starts the backoff from the beginning again.
        onBatch: () => (entry.failures = 0),
      });
      entry.actor = actor;
      entry.state = 'running';
      onEvent?.({ type: 'started', key: entry.key, attempt: entry.failures });
      markStarted();

      const exit: ActorExit = await actor.done;
      entry.processed += actor.stats().processed;
      entry.actor = undefined;
      if (exit.state === 'stopped') {
        onEvent?.({ type: 'stopped', key: entry.key, unprocessed: exit.unprocessed });
        return;
      }
      this.#failed(entry, exit.error, exit.unprocessed);
    }
    onEvent?.({ type: 'stopped', key: entry.key, unprocessed: 0 });
  }

  #failed(entry: Entry<K, M>, error: unknown, unprocessed: number): void {
    entry.failures += 1;
    entry.lastError = error;
    this.#opts.onEvent?.({
      type: 'failed',
      key: entry.key,
      attempt: entry.failures,
      error,
      unprocessed,
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
