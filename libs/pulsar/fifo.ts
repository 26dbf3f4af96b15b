// The project's one FIFO queue: O(1) push and shift (Array#shift is O(n), and producers'
// pending sends, consumers' receive queues and actors' mailboxes hold thousands). Exported
// alone as `@iot/pulsar/fifo` for @iot/actors, like `@iot/pulsar/backoff`: this package
// depends on no other workspace.

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
    // Compact once the consumed prefix dominates, so memory follows the live length.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns up to `n` items from the front. */
  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n && this.length > 0) out.push(this.shift() as T);
    return out;
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

  /** Removes everything; returns what there was. */
  clear(): T[] {
    const all = this.toArray();
    this.items = [];
    this.head = 0;
    return all;
  }
}
