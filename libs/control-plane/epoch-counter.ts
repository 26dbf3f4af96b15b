// Epoch numbers for the checkpointer: a counter in the lease bucket, advanced with a
// compare-and-set, so a new leader never reuses a number an earlier one handed out (even for
// an epoch that left nothing in S3). `next(atLeast)` lets S3's highest epoch seed it.
import type { KV } from 'nats';
import { isWrongSequence } from './leader-election.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

export class EpochCounter {
  constructor(
    private readonly kv: KV,
    private readonly key = 'checkpointer-epoch',
  ) {}

  /** The current value (-1 when never used). */
  async current(): Promise<number> {
    const e = await this.kv.get(this.key);
    return e === null || e.operation !== 'PUT' ? -1 : Number(dec.decode(e.value));
  }

  /** Returns a number above every earlier one and ≥ `atLeast`. */
  async next(atLeast = 0): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const e = await this.kv.get(this.key);
      const cur = e === null || e.operation !== 'PUT' ? -1 : Number(dec.decode(e.value));
      const n = Math.max(cur + 1, atLeast);
      try {
        if (e === null) await this.kv.create(this.key, enc.encode(String(n)));
        else await this.kv.update(this.key, enc.encode(String(n)), e.revision);
        return n;
      } catch (err) {
        if (!isWrongSequence(err)) throw err;
      }
    }
    throw new Error(`epoch counter ${this.key}: too many concurrent updates; retry`);
  }
}
