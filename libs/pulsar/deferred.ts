// Small async building blocks: a promise with its settle functions and a counting limit with
// FIFO waiters (used for maxPendingMessages).
import { Fifo } from './fifo.ts';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class PendingLimit {
  private used = 0;
  private readonly waiters = new Fifo<() => void>();

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  tryAcquire(): boolean {
    if (this.waiters.length > 0 || this.used >= this.max) return false;
    this.used++;
    return true;
  }

  /**
   * Runs `granted` (FIFO) as soon as a slot is free, synchronously inside release(), so a
   * caller arriving later cannot overtake a waiter.
   */
  acquire(granted: () => void): void {
    if (this.tryAcquire()) {
      granted();
      return;
    }
    this.waiters.push(() => {
      this.used++;
      granted();
    });
  }

  release(n = 1): void {
    this.used = Math.max(0, this.used - n);
    while (this.used < this.max && this.waiters.length > 0) this.waiters.shift()!();
  }
}
