// The partition owner's side of checkpoints and control (docs/architecture.md, "Checkpoints"). One per process:
// it heartbeats the partitions this instance owns, takes triggers, and answers suspend,
// resume and status. Each owned partition gets a handle whose `atBoundary()` the partition
// loop calls between micro-batches: there it takes the snapshot a pending trigger asked for
// (a consistent cut: no batch is half-applied), uploads it in the background and reports;
// and while suspended it parks there (still serving triggers, so a savepoint of a suspended
// pipeline works). A restore request is served at the same boundary: the owner replaces its
// state with the stored snapshot and restarts its task from it, without a process restart.
import type { NatsConnection, Subscription } from 'nats';
import type { CheckpointStore, EpochLocation } from '@iot/checkpoint-storage';
import type { PartitionSnapshot } from '@iot/state';
import { Heartbeater } from './membership.ts';
import {
  decodeComplete,
  decodeRestoreRequest,
  decodeTrigger,
  encode,
  type ControlAck,
  type InstanceStatus,
  type ReportMsg,
  type TriggerMsg,
} from './messages.ts';
import type { Subjects } from './subjects.ts';

export interface ParticipantLog {
  (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

export interface CheckpointParticipantOptions {
  nc: NatsConnection;
  subjects: Subjects;
  store: CheckpointStore;
  /** Service name: the folder in S3 and the heartbeat subject, e.g. "aggregator". */
  service: string;
  /** This process, unique among the service's replicas (e.g. `instanceName('aggregator')`). */
  instance: string;
  /** Base URL of this process's ops server, announced so the console can scrape /metrics. */
  ops?: string;
  heartbeatMs?: number;
  /** How long a suspend waits for every partition to reach a boundary before answering. */
  suspendWaitMs?: number;
  /** How long a restore waits for every partition to load its snapshot before answering. */
  restoreWaitMs?: number;
  log?: ParticipantLog;
  now?: () => number;
}

export interface PartitionCheckpointOptions {
  /** The partition's committed state at this boundary, e.g. `() => state.read()`. */
  snapshot: () => Promise<PartitionSnapshot>;
  /** The owner epoch stored with the snapshot, e.g. `() => state.ownerEpoch`. */
  ownerEpoch?: () => number;
  /** Messages not yet processed, for status (optional). */
  lag?: () => number | undefined;
  /**
   * Replaces the partition's state with its snapshot in `from` (an epoch or savepoint) and
   * restarts the task from it; runs at a boundary. Without it, restore requests fail.
   */
  restore?: (from: string) => Promise<void>;
}

export class CheckpointParticipant {
  readonly service: string;
  readonly instance: string;
  private readonly handles = new Map<number, PartitionCheckpoint>();
  private readonly subs: Subscription[] = [];
  private readonly heartbeater: Heartbeater;
  private readonly uploads = new Set<Promise<void>>();
  private openTrigger: TriggerMsg | undefined;
  private suspendedFlag = false;
  private restoring = 0;
  private wake: (() => void)[] = [];
  private closed = false;
  lastEpoch = -1;

  constructor(private readonly opts: CheckpointParticipantOptions) {
    this.service = opts.service;
    this.instance = opts.instance;
    const { nc, subjects } = opts;
    const log = opts.log ?? (() => undefined);
    this.subs.push(
      nc.subscribe(subjects.trigger, {
        callback: (err, msg) => {
          if (err) return;
          try {
            this.onTrigger(decodeTrigger(msg.data, msg.subject));
          } catch (e) {
            log('warn', 'ignoring a malformed checkpoint trigger', { err: e });
          }
        },
      }),
      nc.subscribe(subjects.complete, {
        callback: (err, msg) => {
          if (err) return;
          try {
            const c = decodeComplete(msg.data, msg.subject);
            if (c.outcome === 'complete') this.lastEpoch = Math.max(this.lastEpoch, c.epoch);
            if (this.openTrigger?.epoch === c.epoch) this.openTrigger = undefined;
          } catch (e) {
            log('warn', 'ignoring a malformed epoch announcement', { err: e });
          }
        },
      }),
      nc.subscribe(subjects.suspend, {
        callback: (err, msg) => {
          if (err) return;
          void this.suspend().then((ack) => msg.respond(encode(ack)));
        },
      }),
      nc.subscribe(subjects.resume, {
        callback: (err, msg) => {
          if (err) return;
          msg.respond(encode(this.resume()));
        },
      }),
      nc.subscribe(subjects.restore, {
        callback: (err, msg) => {
          if (err) return;
          let from: string;
          try {
            from = decodeRestoreRequest(msg.data, msg.subject).from;
          } catch (e) {
            msg.respond(encode(this.ack('restore', [], e)));
            return;
          }
          void this.restore(from).then((ack) => msg.respond(encode(ack)));
        },
      }),
      nc.subscribe(subjects.status, {
        callback: (err, msg) => {
          if (err) return;
          msg.respond(encode(this.status()));
        },
      }),
    );
    this.heartbeater = new Heartbeater(nc, subjects, () => this.status(), opts.heartbeatMs ?? 2000);
    this.heartbeater.start();
  }

  get suspended(): boolean {
    return this.suspendedFlag;
  }

  /** Partitions registered (owned) now. */
  get partitions(): number[] {
    return [...this.handles.keys()].sort((a, b) => a - b);
  }

  /** Registers an owned partition; call `release()` on the handle when it is no longer ours. */
  partition(partition: number, opts: PartitionCheckpointOptions): PartitionCheckpoint {
    this.handles.get(partition)?.release();
    const handle = new PartitionCheckpoint(this, partition, opts, () => {
      if (this.handles.get(partition) === handle) this.handles.delete(partition);
      this.notify();
      this.heartbeater.beat();
    });
    this.handles.set(partition, handle);
    // An epoch already running expects this partition if its previous owner was listed.
    if (this.openTrigger !== undefined && this.now() <= this.openTrigger.deadline) {
      handle.request(this.openTrigger);
    }
    this.heartbeater.beat();
    return handle;
  }

  status(): InstanceStatus {
    const lag: Record<string, number> = {};
    for (const [p, h] of this.handles) {
      const l = h.lag();
      if (l !== undefined) lag[String(p)] = l;
    }
    return {
      service: this.service,
      instance: this.instance,
      partitions: this.partitions,
      lastEpoch: this.lastEpoch,
      suspended: this.suspendedFlag,
      ...(Object.keys(lag).length > 0 ? { lag } : {}),
      ...(this.opts.ops === undefined ? {} : { ops: this.opts.ops }),
      ...(this.restoring > 0 ? { restoring: true } : {}),
      sentAt: Date.now(),
    };
  }

  /** Parks every partition at its next boundary; resolves once all are parked (or time out). */
  async suspend(): Promise<ControlAck> {
    this.suspendedFlag = true;
    this.heartbeater.beat();
    const waitMs = this.opts.suspendWaitMs ?? 10_000;
    const until = this.now() + waitMs;
    while (this.now() < until && [...this.handles.values()].some((h) => !h.parked)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const notParked = [...this.handles.values()].filter((h) => !h.parked).map((h) => h.partition);
    return this.ack(
      'suspend',
      this.partitions.filter((p) => !notParked.includes(p)),
      notParked.length > 0
        ? new Error(
            `partition(s) ${notParked.join(', ')} did not reach a micro-batch boundary within ${waitMs} ms`,
          )
        : undefined,
    );
  }

  resume(): ControlAck {
    this.suspendedFlag = false;
    this.notify();
    this.heartbeater.beat();
    return this.ack('resume', this.partitions);
  }

  /**
   * Restores every owned partition from `from` at its next boundary (parked partitions of a
   * suspended instance too, and they stay parked); resolves when all are done or time out.
   */
  async restore(from: string): Promise<ControlAck> {
    const handles = [...this.handles.values()];
    const jobs = handles.map((h) => h.requestRestore(from));
    this.notify();
    // Announced at once and until the last partition is done: the console shows "restoring".
    this.restoring++;
    this.heartbeater.beat();
    const waitMs = this.opts.restoreWaitMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), waitMs)));
    const results = await Promise.all(
      jobs.map((job) =>
        Promise.race([
          job.then(
            () => 'ok' as const,
            (err: unknown) => err,
          ),
          timeout,
        ]),
      ),
    );
    clearTimeout(timer);
    this.restoring--;
    this.heartbeater.beat();
    const failed: string[] = [];
    const restored: number[] = [];
    results.forEach((r, i) => {
      const p = handles[i]?.partition ?? -1;
      if (r === 'ok') restored.push(p);
      else if (r === 'timeout') failed.push(`${p}: not restored within ${waitMs} ms`);
      else failed.push(`${p}: ${r instanceof Error ? r.message : String(r)}`);
    });
    for (const f of failed) this.opts.log?.('error', 'restore of a partition failed', { from, f });
    return this.ack(
      'restore',
      restored.sort((a, b) => a - b),
      failed.length > 0 ? new Error(`partition ${failed.join('; ')}`) : undefined,
    );
  }

  private ack(action: ControlAck['action'], partitions: number[], err?: unknown): ControlAck {
    return {
      service: this.service,
      instance: this.instance,
      action,
      ok: err === undefined,
      partitions,
      ...(err === undefined ? {} : { error: err instanceof Error ? err.message : String(err) }),
    };
  }

  /** Stops heartbeats and subscriptions; waits for uploads in flight. Releases parked loops. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.heartbeater.stop();
    for (const s of this.subs) s.unsubscribe();
    this.suspendedFlag = false;
    this.notify();
    await Promise.allSettled([...this.uploads]);
  }

  // ── used by PartitionCheckpoint ────────────────────────────────────────────────────────

  /** @internal */
  now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** @internal Resolves at the next trigger, resume or close. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.wake.push(resolve));
  }

  /** @internal Snapshot taken: upload and report without holding up the partition loop. */
  upload(trigger: TriggerMsg, partition: number, snapshot: PartitionSnapshot, ownerEpoch?: number) {
    const loc: EpochLocation =
      trigger.kind === 'savepoint'
        ? { kind: 'savepoint', name: trigger.name ?? '' }
        : { kind: 'checkpoint', epoch: trigger.epoch };
    const base = {
      epoch: trigger.epoch,
      service: this.service,
      partition,
      instance: this.instance,
    };
    const job = this.opts.store
      .putSnapshot(loc, this.service, partition, snapshot, {
        ...(ownerEpoch === undefined ? {} : { ownerEpoch }),
        takenAt: Date.now(),
      })
      .then(
        (part): ReportMsg => ({
          ...base,
          ok: true,
          key: part.key,
          bytes: part.bytes,
          sha256: part.sha256,
          ...(ownerEpoch === undefined ? {} : { ownerEpoch }),
        }),
        (err: unknown): ReportMsg => ({
          ...base,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
        }),
      )
      .then((report) => {
        if (!report.ok) {
          this.opts.log?.('error', 'checkpoint snapshot upload failed', {
            ...base,
            err: report.error,
          });
        }
        if (!this.opts.nc.isClosed())
          this.opts.nc.publish(this.opts.subjects.report, encode(report));
      });
    this.uploads.add(job);
    void job.finally(() => this.uploads.delete(job));
  }

  /** @internal A snapshot that could not even be read. */
  reportFailure(trigger: TriggerMsg, partition: number, err: unknown): void {
    const report: ReportMsg = {
      epoch: trigger.epoch,
      service: this.service,
      partition,
      instance: this.instance,
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    };
    this.opts.log?.('error', 'checkpoint snapshot failed', { ...report });
    if (!this.opts.nc.isClosed()) this.opts.nc.publish(this.opts.subjects.report, encode(report));
  }

  private onTrigger(t: TriggerMsg): void {
    if (this.now() > t.deadline) return;
    this.openTrigger = t;
    for (const h of this.handles.values()) h.request(t);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = [];
    for (const w of wake) w();
  }
}

/** One owned partition's hook into checkpoints and suspend/resume. */
interface RestoreJob {
  from: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class PartitionCheckpoint {
  private pending: TriggerMsg | undefined;
  private pendingRestore: RestoreJob | undefined;
  private released = false;
  parked = false;

  constructor(
    private readonly participant: CheckpointParticipant,
    readonly partition: number,
    private readonly opts: PartitionCheckpointOptions,
    private readonly onRelease: () => void,
  ) {}

  /** @internal */
  request(t: TriggerMsg): void {
    if (this.pending === undefined || t.epoch > this.pending.epoch) this.pending = t;
  }

  /** @internal Resolves once the partition restored from `from` at a boundary. */
  requestRestore(from: string): Promise<void> {
    if (this.opts.restore === undefined) {
      return Promise.reject(new Error('this owner cannot restore while running'));
    }
    if (this.released) return Promise.reject(new Error('no longer owned here'));
    this.pendingRestore?.reject(new Error(`superseded by a restore from ${from}`));
    return new Promise((resolve, reject) => {
      this.pendingRestore = { from, resolve, reject };
    });
  }

  /** @internal */
  lag(): number | undefined {
    return this.opts.lag?.();
  }

  /**
   * Call between micro-batches (nothing half-applied). Takes a requested snapshot, and
   * parks here while the instance is suspended.
   */
  async atBoundary(): Promise<void> {
    while (true) {
      const r = this.pendingRestore;
      if (r !== undefined && !this.released) {
        this.pendingRestore = undefined;
        try {
          await this.opts.restore?.(r.from);
          r.resolve();
        } catch (err) {
          r.reject(err);
        }
      }
      const t = this.pending;
      if (t !== undefined) {
        this.pending = undefined;
        if (this.participant.now() <= t.deadline) await this.take(t);
      }
      if (!this.participant.suspended || this.released) return;
      this.parked = true;
      try {
        await this.participant.changed();
      } finally {
        this.parked = false;
      }
    }
  }

  /** The partition is no longer ours. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.pendingRestore?.reject(new Error('no longer owned here'));
    this.pendingRestore = undefined;
    this.onRelease();
  }

  private async take(t: TriggerMsg): Promise<void> {
    let snapshot: PartitionSnapshot;
    try {
      snapshot = await this.opts.snapshot();
    } catch (err) {
      this.participant.reportFailure(t, this.partition, err);
      return;
    }
    this.participant.upload(t, this.partition, snapshot, this.opts.ownerEpoch?.());
  }
}

/**
 * Wraps a partition task (`start` / `step`, as PartitionSupervisor runs them) so every step
 * begins at a checkpoint boundary.
 */
export function checkpointed<T extends { start(): Promise<unknown>; step(): Promise<unknown> }>(
  task: T,
  handle: PartitionCheckpoint,
): { start(): Promise<unknown>; step(): Promise<unknown>; interrupt(): void } {
  let interrupted = false;
  return {
    start: () => task.start(),
    step: async () => {
      await handle.atBoundary();
      // Released while parked (a stop or a handover of a suspended instance): no more work.
      if (interrupted) return;
      return task.step();
    },
    // The partition is no longer ours: wake a loop parked at the boundary so it can stop.
    interrupt: () => {
      interrupted = true;
      handle.release();
    },
  };
}
