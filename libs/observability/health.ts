// Liveness behind /healthz: it fails only when restarting the process is the cure, i.e. the
// process is wedged, not when a dependency is down (that is /readyz's business; a restart
// would not bring Redis back). Two signs of a wedge:
//   - the event loop stalled (a timer fired far later than asked) past a threshold, within
//     the last one or two sampling windows, so one stall is visible to a probe or two and
//     then forgotten;
//   - a partition loop owned here completed no micro-batch for a long time although messages
//     wait for it in its consumer's receive queue. The queue condition is what keeps an idle
//     topic healthy: with no input there is nothing queued, so a loop blocked in its receive
//     (or one that does not even return empty batches) is never a wedge. Loops parked on
//     purpose (the instance is suspended) and loops while a dependency is reported down
//     (a batch waiting for Redis, Pulsar or ClickHouse to come back) do not count either.
import { monitorEventLoopDelay } from 'node:perf_hooks';

type IntervalHistogram = ReturnType<typeof monitorEventLoopDelay>;

/** One partition loop as the health check sees it. */
export interface LoopProgress {
  /** Names the loop in the verdict, e.g. "partition 3". */
  readonly key: string;
  /** Time since the loop last completed a micro-batch (or started). */
  readonly sinceProgressMs: number;
  /** Messages waiting for this loop (received from the broker, not yet taken). */
  readonly backlog: number;
  /** Parked on purpose (suspended): not expected to progress. */
  readonly paused: boolean;
}

export interface HealthInput {
  /** Longest event-loop delay seen in the recent window(s). */
  readonly eventLoopDelayMs: number;
  readonly eventLoopStallMs: number;
  readonly loops: readonly LoopProgress[];
  readonly loopStallMs: number;
  /** Readiness states failing now (dependencies down): loop stalls are excused then. */
  readonly dependenciesDown: readonly string[];
}

export interface HealthVerdict {
  readonly healthy: boolean;
  /** Why not, one sentence per sign; empty when healthy. */
  readonly reasons: readonly string[];
}

export function judgeHealth(input: HealthInput): HealthVerdict {
  const reasons: string[] = [];
  if (input.eventLoopDelayMs > input.eventLoopStallMs) {
    reasons.push(
      `event loop stalled for ${Math.round(input.eventLoopDelayMs)} ms ` +
        `(threshold ${input.eventLoopStallMs} ms)`,
    );
  }
  if (input.dependenciesDown.length === 0) {
    for (const loop of input.loops) {
      if (loop.paused || loop.backlog === 0 || loop.sinceProgressMs <= input.loopStallMs) continue;
      reasons.push(
        `${loop.key}: no micro-batch completed for ${Math.round(loop.sinceProgressMs)} ms ` +
          `with ${loop.backlog} message(s) waiting (threshold ${input.loopStallMs} ms)`,
      );
    }
  }
  return { healthy: reasons.length === 0, reasons };
}

export interface HealthOptions {
  /** An event-loop delay above this is a stall (ms). */
  eventLoopStallMs: number;
  /** A loop with waiting input and no completed micro-batch for this long is wedged (ms). */
  loopStallMs: number;
  /** Failing readiness states now (dependencies down); see `Readiness.failingStates()`. */
  dependenciesDown?: () => readonly string[];
  /** Length of one event-loop sampling window (ms, default 5 s). */
  windowMs?: number;
}

/** Samples the event loop and asks the registered loop sources; `check()` gives the verdict. */
export class Health {
  readonly #opts: HealthOptions;
  readonly #delay: IntervalHistogram;
  readonly #timer: NodeJS.Timeout;
  readonly #sources: (() => readonly LoopProgress[])[] = [];
  #previousMaxMs = 0;

  constructor(opts: HealthOptions) {
    this.#opts = opts;
    this.#delay = monitorEventLoopDelay({ resolution: 20 });
    this.#delay.enable();
    this.#timer = setInterval(() => {
      this.#previousMaxMs = this.#delay.max / 1e6;
      this.#delay.reset();
    }, opts.windowMs ?? 5000);
    this.#timer.unref();
  }

  /** Adds partition loops to watch; `source` is called on every check. */
  watchLoops(source: () => readonly LoopProgress[]): void {
    this.#sources.push(source);
  }

  check(): HealthVerdict {
    return judgeHealth({
      eventLoopDelayMs: Math.max(this.#previousMaxMs, this.#delay.max / 1e6),
      eventLoopStallMs: this.#opts.eventLoopStallMs,
      loops: this.#sources.flatMap((s) => s()),
      loopStallMs: this.#opts.loopStallMs,
      dependenciesDown: this.#opts.dependenciesDown?.() ?? [],
    });
  }

  close(): void {
    clearInterval(this.#timer);
    this.#delay.disable();
  }
}
