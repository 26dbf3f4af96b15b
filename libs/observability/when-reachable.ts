// A dependency that comes up after the service (a restart of both, a server restarting, a
// node drain): wait for it with backoff, not ready meanwhile, instead of exiting into a crash
// loop (Kubernetes would lengthen the delay between restarts up to 5 minutes). Only failures
// that waiting can fix are waited for; anything else (a refused credential, a missing bucket)
// is thrown for the caller to stop with what to fix.
import { backoffDelay, sleep } from '@iot/pulsar/backoff';
import type { Logger } from './logger.ts';
import type { Readiness } from './readiness.ts';

export interface Dependency {
  /** The readiness check it holds down meanwhile ('clickhouse', 's3', …). */
  check: string;
  /** Its name in the log line: "<what> is not reachable yet; …". */
  what: string;
  /** Extra log fields: where it is looked for. */
  fields?: Record<string, unknown>;
  /** Whether a failure means "not there yet" (unreachable, a 5xx) rather than a refusal. */
  transient(err: unknown): boolean;
}

export interface WaitContext {
  readiness: Readiness;
  log: Logger;
  /** Applied to the reason shown on /readyz. */
  redact: (text: string) => string;
  /** Default: the project's backoff from 0.5 s to 10 s, slept for real. */
  delay?: (attempt: number) => Promise<void>;
}

/** Runs `op` until it succeeds, waiting through transient failures; rethrows any other. */
export async function whenReachable<T>(
  ctx: WaitContext,
  dep: Dependency,
  op: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await op();
      ctx.readiness.set(dep.check, true);
      return result;
    } catch (err) {
      if (!dep.transient(err)) throw err;
      const delayMs = backoffDelay(attempt, { initialMs: 500, maxMs: 10_000 });
      ctx.readiness.set(dep.check, false, ctx.redact(String(err)));
      ctx.log.warn(`${dep.what} is not reachable yet; waiting for it before starting`, {
        ...dep.fields,
        attempt,
        delayMs,
        err,
      });
      await (ctx.delay ? ctx.delay(attempt) : sleep(delayMs));
    }
  }
}
