// Small async building blocks: a promise with its settle functions, a FIFO queue with O(1)
// shift, and a counting limit with FIFO waiters (used for maxPendingMessages).

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

export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Keeps only the items for which keep() is true; returns the removed ones. */
  filter(keep: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const removed: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      (keep(item) ? kept : removed).push(item);
    }
    this.items = kept;
    this.head = 0;
    return removed;
  }

  toArray(): T[] {
    return this.items.slice(this.head) as T[];
  }

  clear(): T[] {
    const all = this.toArray();
    this.items = [];
    this.head = 0;
    return all;
  }
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
