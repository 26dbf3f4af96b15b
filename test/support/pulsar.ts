// Shared helpers for the Pulsar integration tests: broker URLs (overridable by env) and
// unique topic names so tests never interfere.
import { randomBytes } from 'node:crypto';
import { stack } from './stack.ts';

export const PULSAR_URL = stack.pulsarUrl;
export const PULSAR_ADMIN_URL = stack.pulsarAdminUrl;

export function uniqueTopic(prefix: string): string {
  return `persistent://public/default/${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Polls `check` until it returns true or the time runs out. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Rejects if `promise` has not settled within `ms`; the timer never outlives the promise. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
