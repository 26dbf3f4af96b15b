// An actor: a bounded mailbox drained strictly in order by one behavior. Never two batches of
// one actor at once; each turn hands the behavior everything queued, up to maxBatch, as one
// micro-batch (so a busy actor batches more, an idle one answers at once). A full mailbox
// makes send() wait: backpressure reaches the producer instead of memory growing.
//
// A behavior that throws fails the actor: the failing batch and everything still queued are
// dropped unprocessed and counted. Nothing here retries; the Supervisor restarts from
// committed state, and the source replays from the committed position.

import { Fifo } from '@iot/pulsar/fifo';

export interface Behavior<M> {
  /** Applies one micro-batch, in mailbox order. Throwing (or rejecting) fails the actor. */
  handle(batch: readonly M[]): unknown;
  /** Releases what the behavior holds; called once, after the last batch. */
  close?(exit: ActorExit): unknown;
}

export interface ActorOptions {
  name: string;
  /** Most messages per micro-batch (default 500). */
  maxBatch?: number;
  /** Mailbox capacity; send() waits beyond it (default 10,000). */
  capacity?: number;
  /** Called after each batch the behavior completed. */
  onBatch?: (size: number) => void;
}

export type ActorState = 'running' | 'stopping' | 'stopped' | 'failed';

export interface ActorExit {
  readonly state: 'stopped' | 'failed';
  /** What the behavior threw, when it failed. */
  readonly error?: unknown;
  /** Messages accepted by send() that were never processed (failing batch included). */
  readonly unprocessed: number;
  /** What close() threw, if it did. */
  readonly closeError?: unknown;
}

export interface ActorStats {
  readonly name: string;
  readonly state: ActorState;
  /** Queued messages, including senders waiting for room. */
  readonly mailbox: number;
  readonly processed: number;
  readonly batches: number;
  readonly lastBatchSize: number;
}

/** send() was refused: the message was not and will not be processed. */
export class ActorStoppedError extends Error {
  constructor(
    readonly actor: string,
    readonly state: ActorState,
  ) {
    super(`actor ${actor} is ${state}: message not processed`);
    this.name = 'ActorStoppedError';
  }
}

interface Waiter<M> {
  msg: M;
  resolve: () => void;
  reject: (err: Error) => void;
}

const accepted = Promise.resolve();

export class Actor<M> {
  readonly name: string;
  readonly done: Promise<ActorExit>;

  readonly #behavior: Behavior<M>;
  readonly #maxBatch: number;
  readonly #capacity: number;
  readonly #onBatch: ((size: number) => void) | undefined;
  readonly #mailbox = new Fifo<M>();
  readonly #waiting = new Fifo<Waiter<M>>();
  #state: ActorState = 'running';
  #drain = false;
  #scheduled = false;
  #busy = false;
  #processed = 0;
  #batches = 0;
  #lastBatchSize = 0;
  #finish!: (exit: ActorExit) => void;

  constructor(behavior: Behavior<M>, opts: ActorOptions) {
    this.name = opts.name;
    this.#behavior = behavior;
    this.#maxBatch = opts.maxBatch ?? 500;
    this.#capacity = opts.capacity ?? 10_000;
    this.#onBatch = opts.onBatch;
    if (!(this.#maxBatch >= 1 && this.#capacity >= 1)) {
      throw new Error(`actor ${opts.name}: maxBatch and capacity must be at least 1`);
    }
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }

  get state(): ActorState {
    return this.#state;
  }

  get mailboxSize(): number {
    return this.#mailbox.length + this.#waiting.length;
  }

  stats(): ActorStats {
    return {
      name: this.name,
      state: this.#state,
      mailbox: this.mailboxSize,
      processed: this.#processed,
      batches: this.#batches,
      lastBatchSize: this.#lastBatchSize,
    };
  }

  /**
   * Queues a message. Resolves once it is in the mailbox (at once when there is room, later
   * when full); rejects with ActorStoppedError when the actor stops or fails before that.
   * Messages are processed in the order of send() calls.
   */
  send(msg: M): Promise<void> {
    if (this.#state !== 'running')
      return Promise.reject(new ActorStoppedError(this.name, this.#state));
    // Behind earlier waiters even when there is room, or order would break.
    if (this.#waiting.length > 0 || this.#mailbox.length >= this.#capacity) {
      return new Promise((resolve, reject) => this.#waiting.push({ msg, resolve, reject }));
    }
    this.#mailbox.push(msg);
    this.#schedule();
    return accepted;
  }

  /**
   * Stops taking messages. The batch in progress completes; with `drain`, so does everything
   * already accepted (waiting senders included), otherwise the rest is dropped unprocessed.
   */
  stop(opts: { drain?: boolean } = {}): Promise<ActorExit> {
    if (this.#state === 'running') {
      this.#state = 'stopping';
      this.#drain = opts.drain === true;
      if (!this.#drain) this.#rejectWaiting();
      if (!this.#busy) this.#schedule();
    }
    return this.done;
  }

  #schedule(): void {
    if (this.#scheduled || this.#busy) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: messages arriving in the same I/O turn join one batch.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#busy = true;
    while (this.#state === 'running' || (this.#state === 'stopping' && this.#drain)) {
      const batch = this.#mailbox.take(this.#maxBatch);
      this.#admitWaiting();
      if (batch.length === 0) break;
      try {
        await this.#behavior.handle(batch);
      } catch (error) {
        this.#busy = false;
        this.#state = 'failed';
        return this.#end({ state: 'failed', error, unprocessed: batch.length + this.#dropAll() });
      }
      this.#processed += batch.length;
      this.#batches += 1;
      this.#lastBatchSize = batch.length;
      this.#onBatch?.(batch.length);
    }
    this.#busy = false;
    if (this.#state === 'stopping') {
      const unprocessed = this.#dropAll();
      this.#state = 'stopped';
      await this.#end({ state: 'stopped', unprocessed });
    }
  }

  /** Moves waiting senders into the mailbox while there is room, in order. */
  #admitWaiting(): void {
    while (this.#waiting.length > 0 && this.#mailbox.length < this.#capacity) {
      const waiter = this.#waiting.shift() as Waiter<M>;
      this.#mailbox.push(waiter.msg);
      waiter.resolve();
    }
  }

  #rejectWaiting(): number {
    let n = 0;
    for (let w = this.#waiting.shift(); w !== undefined; w = this.#waiting.shift()) {
      w.reject(new ActorStoppedError(this.name, this.#state));
      n += 1;
    }
    return n;
  }

  #dropAll(): number {
    return this.#mailbox.clear().length + this.#rejectWaiting();
  }

  async #end(exit: ActorExit): Promise<void> {
    try {
      await this.#behavior.close?.(exit);
      this.#finish(exit);
    } catch (closeError) {
      // The actor is over either way: report the close error, do not throw it at the caller.
      this.#finish({ ...exit, closeError });
    }
  }
}
