// One active instance per role (docs/architecture.md, "Checkpoints": one checkpointer leads) with a lease in a
// JetStream KV bucket. Every write is a compare-and-set on the key's revision, so two
// candidates can never both take the lease. Expiry needs no synchronized clocks: the leader
// renews (a new revision) every `renewMs`; a candidate that sees the *same* revision for
// longer than `ttlMs` on its own clock takes the lease over with a CAS on that revision. A
// leader that could not renew for `ttlMs` since its last successful renewal began steps down
// by itself — before any candidate can take over, as the candidate started counting later.
import { EventEmitter } from 'node:events';
import type { KV, NatsConnection } from 'nats';

export interface LeaseValue {
  holder: string;
  renewedAt: number;
}

export interface LeaderElectionOptions {
  /** This candidate's name (shown as the holder). */
  candidate: string;
  /** How long a lease lives without renewal. */
  ttlMs: number;
  /** How often the leader renews and candidates look (default ttl / 4). */
  renewMs?: number;
  /** Monotonic clock (ms). */
  now?: () => number;
}

export interface LeaderEvents {
  elected: [{ revision: number }];
  lost: [{ reason: string }];
  error: [Error];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class LeaderElection extends EventEmitter<LeaderEvents> {
  private revision = 0;
  private renewedAt = 0;
  private leading = false;
  private observed: { revision: number; since: number } | undefined;
  private holder: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private guard: NodeJS.Timeout | undefined;
  private running = false;
  private ticking: Promise<void> = Promise.resolve();
  /** Tail of the KV operations; each waits for the one before (see `serialized`). */
  private kvTail: Promise<unknown> = Promise.resolve();
  private readonly renewMs: number;
  private readonly now: () => number;

  constructor(
    private readonly kv: KV,
    private readonly key: string,
    private readonly opts: LeaderElectionOptions,
  ) {
    super();
    this.renewMs = opts.renewMs ?? Math.max(50, Math.floor(opts.ttlMs / 4));
    this.now = opts.now ?? (() => performance.now());
    if (this.renewMs * 2 > opts.ttlMs) {
      throw new RangeError(
        `renewMs (${this.renewMs}) must be at most half of ttlMs (${opts.ttlMs})`,
      );
    }
  }

  /** Opens (creating if needed) the lease bucket; `role` is the key, e.g. "checkpointer". */
  static async open(
    nc: NatsConnection,
    opts: LeaderElectionOptions & { bucket?: string; role: string },
  ): Promise<LeaderElection> {
    const kv = await nc.jetstream().views.kv(opts.bucket ?? 'iot_leases', { history: 1 });
    return new LeaderElection(kv, opts.role, opts);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen in the bucket (this candidate's name while leading). */
  get leader(): string | undefined {
    return this.leading ? this.opts.candidate : this.holder;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /**
   * Re-reads the lease: true only if this candidate still holds the revision it wrote. Call
   * before an irreversible step (writing a manifest) to fence a leader that lost silently.
   */
  confirm(): Promise<boolean> {
    return this.serialized(async () => {
      if (!this.leading) return false;
      const entry = await this.kv.get(this.key);
      return entry !== null && entry.operation === 'PUT' && entry.revision === this.revision;
    });
  }

  /**
   * Runs KV work one operation at a time. A renewal writes revision N+1 before this candidate
   * learns the number; a confirm() read in that gap would take our own renewal for a lost lease.
   */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.kvTail.then(work);
    this.kvTail = run.catch(() => undefined);
    return run;
  }

  /** Stops campaigning; a leader deletes the lease (CAS) so a standby takes over at once. */
  async close(opts: { resign?: boolean } = {}): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.ticking;
    if (this.leading && (opts.resign ?? true)) {
      await this.kv.delete(this.key, { previousSeq: this.revision }).catch(() => undefined);
    }
    this.stepDown('closed');
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.serialized(() => this.tick()).finally(() => this.schedule(this.renewMs));
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      if (this.leading) await this.renew();
      else await this.campaign();
    } catch (err) {
      // Transient (NATS away): keep trying; the guard steps down at the TTL.
      if (this.listenerCount('error') > 0) {
        this.emit('error', err instanceof Error ? err : new Error(String(err)));
      }
      this.checkExpiry();
    }
  }

  private value(): Uint8Array {
    const v: LeaseValue = { holder: this.opts.candidate, renewedAt: Date.now() };
    return enc.encode(JSON.stringify(v));
  }

  private async renew(): Promise<void> {
    const started = this.now();
    try {
      this.revision = await this.kv.update(this.key, this.value(), this.revision);
      this.renewedAt = started;
      this.armGuard();
    } catch (err) {
      if (isWrongSequence(err)) this.stepDown('the lease was taken by another candidate');
      else throw err;
    }
  }

  private async campaign(): Promise<void> {
    const started = this.now();
    const entry = await this.kv.get(this.key);
    if (entry === null) {
      await this.tryTake(() => this.kv.create(this.key, this.value()), started);
      return;
    }
    if (entry.operation !== 'PUT') {
      // Resigned: the delete marker's revision is the one to replace.
      await this.tryTake(() => this.kv.update(this.key, this.value(), entry.revision), started);
      return;
    }
    this.holder = parseHolder(entry.value);
    if (this.observed?.revision !== entry.revision) {
      this.observed = { revision: entry.revision, since: started };
      return;
    }
    if (started - this.observed.since > this.opts.ttlMs) {
      await this.tryTake(() => this.kv.update(this.key, this.value(), entry.revision), started);
    }
  }

  private async tryTake(write: () => Promise<number>, started: number): Promise<void> {
    try {
      this.revision = await write();
    } catch (err) {
      if (isWrongSequence(err)) return; // another candidate was faster
      throw err;
    }
    this.renewedAt = started;
    this.leading = true;
    this.observed = undefined;
    this.holder = this.opts.candidate;
    this.armGuard();
    this.emit('elected', { revision: this.revision });
  }

  /** Steps down when no renewal succeeded within the TTL, even if NATS calls hang. */
  private armGuard(): void {
    clearTimeout(this.guard);
    const left = this.renewedAt + this.opts.ttlMs - this.now();
    this.guard = setTimeout(() => this.checkExpiry(), Math.max(0, left));
    this.guard.unref();
  }

  private checkExpiry(): void {
    if (this.leading && this.now() - this.renewedAt >= this.opts.ttlMs) {
      this.stepDown(`could not renew the lease within ${this.opts.ttlMs} ms`);
    }
  }

  private stepDown(reason: string): void {
    clearTimeout(this.guard);
    if (!this.leading) return;
    this.leading = false;
    this.observed = undefined;
    this.emit('lost', { reason });
  }
}

function parseHolder(value: Uint8Array): string | undefined {
  try {
    const v = JSON.parse(dec.decode(value)) as Partial<LeaseValue>;
    return typeof v.holder === 'string' ? v.holder : undefined;
  } catch {
    return undefined;
  }
}

/** JetStream's answer to a CAS on a stale revision (create on an existing key included). */
export function isWrongSequence(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /wrong last sequence|key exists/i.test(text);
}
