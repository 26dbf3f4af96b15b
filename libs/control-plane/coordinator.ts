// The NATS side of an epoch: publishes the trigger, feeds the reports into an EpochRound,
// checks the deadline, and announces the outcome. Storage (manifest, cleanup) is the
// caller's: this only decides complete or abandoned.
import type { NatsConnection } from 'nats';
import { EpochRound, type EpochOutcome, type ParticipantKey } from './epoch-round.ts';
import {
  decodeReport,
  encode,
  type CompleteMsg,
  type EpochKind,
  type TriggerMsg,
} from './messages.ts';
import type { Subjects } from './subjects.ts';

export interface RunEpochOptions {
  epoch: number;
  kind: EpochKind;
  name?: string;
  expected: readonly ParticipantKey[];
  timeoutMs: number;
  /** Aborting abandons the epoch (e.g. leadership lost). */
  signal?: AbortSignal;
}

export type EpochResult = EpochOutcome & {
  epoch: number;
  kind: EpochKind;
  name?: string;
  startedAt: string;
  completedAt: string;
  durationMs: number;
};

export class EpochCoordinator {
  private readonly now: () => number;
  private readonly tickMs: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    opts: { now?: () => number; tickMs?: number; onInvalid?: (err: unknown) => void } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.tickMs = opts.tickMs ?? 100;
    this.onInvalid = opts.onInvalid;
  }

  private readonly onInvalid: ((err: unknown) => void) | undefined;

  /** Runs one epoch to its outcome. */
  async run(opts: RunEpochOptions): Promise<EpochResult> {
    const started = this.now();
    const round = new EpochRound({
      epoch: opts.epoch,
      kind: opts.kind,
      ...(opts.name === undefined ? {} : { name: opts.name }),
      expected: opts.expected,
      deadline: started + opts.timeoutMs,
    });
    const outcome = await new Promise<EpochOutcome>((resolve) => {
      if (round.outcome !== undefined) return resolve(round.outcome);
      const done = (o: EpochOutcome | undefined): void => {
        if (o === undefined) return;
        clearInterval(timer);
        sub.unsubscribe();
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(o);
      };
      const onAbort = (): void =>
        done(round.abandon(`aborted: ${String(opts.signal?.reason ?? 'signal')}`));
      const sub = this.nc.subscribe(this.subjects.report, {
        callback: (err, msg) => {
          if (err) return;
          try {
            done(round.report(decodeReport(msg.data, msg.subject), this.now()));
          } catch (e) {
            this.onInvalid?.(e);
          }
        },
      });
      const timer = setInterval(() => done(round.tick(this.now())), this.tickMs);
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort);
      const trigger: TriggerMsg = {
        epoch: opts.epoch,
        kind: opts.kind,
        ...(opts.name === undefined ? {} : { name: opts.name }),
        startedAt: new Date(started).toISOString(),
        deadline: started + opts.timeoutMs,
      };
      this.nc.publish(this.subjects.trigger, encode(trigger));
    });
    const finished = this.now();
    return {
      ...outcome,
      epoch: opts.epoch,
      kind: opts.kind,
      ...(opts.name === undefined ? {} : { name: opts.name }),
      startedAt: new Date(started).toISOString(),
      completedAt: new Date(finished).toISOString(),
      durationMs: finished - started,
    };
  }

  /** Tells every instance how the epoch ended (after the manifest was written, if complete). */
  announce(result: EpochResult, override?: { outcome: 'abandoned'; reason: string }): CompleteMsg {
    const msg: CompleteMsg = {
      epoch: result.epoch,
      kind: result.kind,
      ...(result.name === undefined ? {} : { name: result.name }),
      outcome: override?.outcome ?? result.status,
      ...(override
        ? { reason: override.reason }
        : result.status === 'abandoned'
          ? { reason: result.reason }
          : {}),
      parts: result.parts.length,
      bytes: result.parts.reduce((s, p) => s + p.bytes, 0),
      durationMs: Math.round(result.durationMs),
    };
    this.nc.publish(this.subjects.complete, encode(msg));
    return msg;
  }
}
