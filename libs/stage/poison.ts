// A message that makes a stage's operator throw must not crash-loop its partition: the
// restart restores the same state, reads the same message and throws again, for ever. This
// finds such messages and runs the batch without them, so the caller can dead-letter them
// with the error in the same commit as the rest of the batch (hence once). The operators are
// pure functions of (committed state, batch, now), which is what makes the search sound: the
// same prefix throws again from the same state. Both ingest and the aggregator use it.

/** A message the operator threw on, with what it threw. */
export interface Poisoned {
  /** Its index in the batch. */
  index: number;
  error: Error;
}

export interface Isolated<R> {
  result: R;
  /** In batch order; empty when the batch ran cleanly the first time. */
  poisoned: Poisoned[];
}

export interface PoisonSearch<R> {
  /**
   * Runs the operator over the batch's first `length` messages, leaving out those in `skip`
   * (index → what the operator threw on it), which the caller dead-letters.
   */
  run(length: number, skip: ReadonlyMap<number, Error>): R;
  /** Puts the operator back to the committed state (a throw can leave it half-updated). */
  reset(): Promise<void>;
  /** Errors that are not about a message (fencing, a lost connection): rethrown as they are. */
  isFatal?(err: Error): boolean;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Runs a batch of `size` messages. When the operator throws, the first message at which the
 * prefix starts throwing is found by bisection (log₂ size runs, each after a reset) and left
 * out, and the batch runs again, until it runs cleanly. An operator that throws on the empty
 * prefix (its state or the time is the problem, not a message) rethrows the first error:
 * there is nothing to dead-letter, and a restart is the right answer.
 */
export async function isolatePoison<R>(
  size: number,
  search: PoisonSearch<R>,
): Promise<Isolated<R>> {
  const skip = new Map<number, Error>();
  for (;;) {
    let failure: Error;
    try {
      const result = search.run(size, skip);
      const poisoned = [...skip].map(([index, error]) => ({ index, error }));
      return { result, poisoned: poisoned.sort((a, b) => a.index - b.index) };
    } catch (err) {
      failure = asError(err);
      if (search.isFatal?.(failure)) throw failure;
    }
    // Smallest prefix that throws: known to throw at `hi`, not known to pass anywhere yet.
    let lo = 0;
    let hi = size;
    let errorAtHi = failure;
    const attempt = async (length: number): Promise<Error | undefined> => {
      await search.reset();
      try {
        search.run(length, skip);
        return undefined;
      } catch (err) {
        const e = asError(err);
        if (search.isFatal?.(e)) throw e;
        return e;
      }
    };
    if ((await attempt(0)) !== undefined) throw failure;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      const e = await attempt(mid);
      if (e === undefined) lo = mid;
      else {
        hi = mid;
        errorAtHi = e;
      }
    }
    const index = hi - 1;
    // Already skipped and still throwing there: not this message after all; give up.
    if (skip.has(index)) throw failure;
    skip.set(index, errorAtHi);
    await search.reset();
  }
}
