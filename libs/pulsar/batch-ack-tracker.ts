// Tracks which messages of each batched entry the application has acknowledged, so the
// entry is acknowledged to the broker only once all of its messages are.

function entryKey(ledgerId: bigint, entryId: bigint): string {
  return `${ledgerId}:${entryId}`;
}

interface EntryState {
  ledgerId: bigint;
  entryId: bigint;
  acked: Uint8Array;
  remaining: number;
}

export class BatchAckTracker {
  private readonly entries = new Map<string, EntryState>();

  get size(): number {
    return this.entries.size;
  }

  /**
   * Notes a delivered batched entry of `size` messages. `alreadyAcked(i)` marks indexes the
   * broker reports acknowledged (MESSAGE.ack_set). A known entry keeps its state.
   */
  register(
    ledgerId: bigint,
    entryId: bigint,
    size: number,
    alreadyAcked?: (index: number) => boolean,
  ): void {
    const key = entryKey(ledgerId, entryId);
    if (this.entries.has(key)) return;
    const acked = new Uint8Array(size);
    let remaining = size;
    if (alreadyAcked) {
      for (let i = 0; i < size; i++) {
        if (alreadyAcked(i)) {
          acked[i] = 1;
          remaining--;
        }
      }
    }
    this.entries.set(key, { ledgerId, entryId, acked, remaining });
  }

  /** Marks one index acknowledged; true when that completed the entry (then forgotten). */
  ack(ledgerId: bigint, entryId: bigint, index: number, size: number): boolean {
    const key = entryKey(ledgerId, entryId);
    let state = this.entries.get(key);
    if (!state) {
      this.register(ledgerId, entryId, size);
      state = this.entries.get(key)!;
    }
    if (index < 0 || index >= state.acked.length) return false;
    if (!state.acked[index]) {
      state.acked[index] = 1;
      state.remaining--;
    }
    if (state.remaining > 0) return false;
    this.entries.delete(key);
    return true;
  }

  /** Marks indexes 0..index acknowledged (cumulative ack inside a batch); true if complete. */
  ackUpTo(ledgerId: bigint, entryId: bigint, index: number, size: number): boolean {
    let done = false;
    for (let i = 0; i <= index && i < size; i++)
      done = this.ack(ledgerId, entryId, i, size) || done;
    return done;
  }

  /**
   * The entry's messages not yet acknowledged, as a Pulsar ack_set (bit i set = index i still
   * unacknowledged; signed 64-bit words, lowest index first). Undefined for an unknown entry.
   */
  unackedSet(ledgerId: bigint, entryId: bigint): bigint[] | undefined {
    const state = this.entries.get(entryKey(ledgerId, entryId));
    if (!state) return undefined;
    return ackSetOf(state.acked.length, (i) => !state.acked[i]);
  }

  /** Forgets entries at or before (ledgerId, entryId), covered by a cumulative ack. */
  forgetUpTo(ledgerId: bigint, entryId: bigint): void {
    for (const [key, s] of this.entries) {
      if (s.ledgerId < ledgerId || (s.ledgerId === ledgerId && s.entryId <= entryId)) {
        this.entries.delete(key);
      }
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Whether bit `index` is set in a Pulsar ack_set (little-endian words of 64 bits). */
export function ackSetHas(ackSet: readonly bigint[], index: number): boolean {
  const word = ackSet[index >>> 6];
  if (word === undefined) return false;
  return ((BigInt.asUintN(64, word) >> BigInt(index & 63)) & 1n) === 1n;
}

/** An ack_set of `size` bits where bit i is `isSet(i)` (signed 64-bit words, as the wire has). */
export function ackSetOf(size: number, isSet: (index: number) => boolean): bigint[] {
  const words: bigint[] = [];
  for (let w = 0; w * 64 < size; w++) {
    let word = 0n;
    for (let b = 0; b < 64 && w * 64 + b < size; b++) {
      if (isSet(w * 64 + b)) word |= 1n << BigInt(b);
    }
    words.push(BigInt.asIntN(64, word));
  }
  return words;
}
