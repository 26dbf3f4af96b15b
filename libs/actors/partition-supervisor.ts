// Supervises one pull loop per owned partition (the stages' partition tasks): a loop starts
// when the partition becomes ours, runs its task's micro-batches strictly one after another,
// is restarted from committed state with backoff when a step fails, and stops at a batch
// boundary when the partition is released. A task that finds itself fenced (another owner
// took the partition) stops for good instead of fighting back.
import { backoffDelay, type BackoffOptions } from './backoff.ts';

/** One partition's work: `start` restores committed state, `step` runs one micro-batch. */
export interface PartitionLoopTask {
  start(): Promise<unknown>;
  step(): Promise<unknown>;
  /**
   * The partition was released: a step that is waiting rather than working (e.g. parked at a
   * boundary while the instance is suspended) should return soon without doing work, so the
   * loop can stop. Without it a release would wait for the wait to end.
   */
  interrupt?(): void;
}

export type PartitionEvent<K> =
  | { kind: 'started'; key: K; restarts: number }
  | { kind: 'failed'; key: K; error: unknown; delayMs: number }
  | { kind: 'fenced'; key: K; error: unknown }
  | { kind: 'stopped'; key: K };

export interface PartitionSupervisorOptions<K> {
  /** Builds a fresh task (new owner epoch, state read back) for every (re)start. */
  create(key: K): PartitionLoopTask | Promise<PartitionLoopTask>;
  /** Called before a restart, e.g. to have the broker redeliver what was not acked. */
  beforeRestart?(key: K): void | Promise<void>;
  isFenced?(error: unknown): boolean;
  backoff?: BackoffOptions;
  onEvent?(event: PartitionEvent<K>): void;
  sleep?(ms: number): Promise<void>;
  now?(): number;
}

interface Running {
  owned: boolean;
  restarts: number;
  done: Promise<void>;
  /** The task of the loop's current (re)start, once created. */
  task?: PartitionLoopTask;
  /** When the loop last started or completed a step (for liveness checks). */
  progressAt: number;
}

export class PartitionSupervisor<K> {
  private readonly loops = new Map<K, Running>();

  constructor(private readonly opts: PartitionSupervisorOptions<K>) {}

  /** Keys whose loops are running (owned and not yet stopped). */
  get owned(): K[] {
    return [...this.loops].filter(([, r]) => r.owned).map(([k]) => k);
  }

  /** Each running loop with the time it last started or completed a step. */
  progress(): { key: K; progressAt: number }[] {
    return [...this.loops]
      .filter(([, r]) => r.owned)
      .map(([key, r]) => ({ key, progressAt: r.progressAt }));
  }

  restartsOf(key: K): number {
    return this.loops.get(key)?.restarts ?? 0;
  }

  /** The partition is ours: start its loop unless it runs already. */
  own(key: K): void {
    const existing = this.loops.get(key);
    if (existing?.owned) return;
    const running: Running = {
      owned: true,
      restarts: 0,
      done: Promise.resolve(),
      progressAt: this.now(),
    };
    this.loops.set(key, running);
    running.done = (existing?.done ?? Promise.resolve()).then(() => this.run(key, running));
  }

  /** The partition is no longer ours: stop after the current micro-batch. */
  async release(key: K): Promise<void> {
    const running = this.loops.get(key);
    if (running === undefined) return;
    running.owned = false;
    running.task?.interrupt?.();
    await running.done;
    if (this.loops.get(key) === running) this.loops.delete(key);
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.loops.keys()].map((k) => this.release(k)));
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private async run(key: K, running: Running): Promise<void> {
    const sleep = this.opts.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
    let failures = 0;
    while (running.owned) {
      try {
        const task = await this.opts.create(key);
        running.task = task;
        await task.start();
        running.progressAt = this.now();
        this.opts.onEvent?.({ kind: 'started', key, restarts: running.restarts });
        while (running.owned) {
          await task.step();
          running.progressAt = this.now();
          failures = 0;
        }
      } catch (error) {
        if (this.opts.isFenced?.(error)) {
          running.owned = false;
          this.opts.onEvent?.({ kind: 'fenced', key, error });
          break;
        }
        failures++;
        running.restarts++;
        const delayMs = backoffDelay(failures, this.opts.backoff);
        this.opts.onEvent?.({ kind: 'failed', key, error, delayMs });
        await sleep(delayMs);
        if (running.owned) await this.opts.beforeRestart?.(key);
      }
    }
    this.opts.onEvent?.({ kind: 'stopped', key });
  }
}
