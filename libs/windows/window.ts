/**
 * Tumbling event-time windows: [start, start + size), start a multiple of size since the
 * epoch. Arguments are checked because a wrong size or a fractional time is a programming
 * error that would silently split windows.
 */

/** The job's window: 1 minute, as in the seed. */
export const DEFAULT_WINDOW_SIZE_MS = 60_000;

function checkSize(sizeMs: number): void {
  if (!Number.isSafeInteger(sizeMs) || sizeMs <= 0) {
    throw new RangeError(`window size must be a positive integer of ms, got ${sizeMs}`);
  }
}

function checkTime(name: string, ms: number): void {
  if (!Number.isSafeInteger(ms))
    throw new RangeError(`${name} must be an integer of epoch ms, got ${ms}`);
}

/** Start of the window holding `ts`; floors toward −∞, so negative times work too. */
export function windowStart(ts: number, sizeMs: number = DEFAULT_WINDOW_SIZE_MS): number {
  checkSize(sizeMs);
  checkTime('timestamp', ts);
  const rem = ts % sizeMs;
  return rem < 0 ? ts - rem - sizeMs : ts - rem;
}

/** Exclusive end of the window holding `ts` (= the next window's start). */
export function windowEnd(ts: number, sizeMs: number = DEFAULT_WINDOW_SIZE_MS): number {
  return windowStart(ts, sizeMs) + sizeMs;
}

/**
 * A window is closed once the watermark has reached its end: every record still on time
 * has event time ≥ watermark ≥ end, so none can fall into it (see watermark.ts).
 */
export function isWindowClosed(start: number, sizeMs: number, watermark: number | null): boolean {
  checkSize(sizeMs);
  return watermark !== null && start + sizeMs <= watermark;
}

/** The given window starts that `watermark` closes, ascending. */
export function closedWindows(
  starts: Iterable<number>,
  sizeMs: number,
  watermark: number | null,
): number[] {
  const closed: number[] = [];
  for (const s of starts) if (isWindowClosed(s, sizeMs, watermark)) closed.push(s);
  return closed.sort((a, b) => a - b);
}
