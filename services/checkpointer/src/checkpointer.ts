// The checkpointer's work while it leads (docs/architecture.md, "Checkpoints"): every interval, epoch N over NATS
// with the partitions membership says are owned; the manifest is written last, only if every
// one reported and the lease is still ours; an abandoned epoch's objects are deleted; then
// retention. Savepoints are the same epoch on request, never expired. Standbys only watch.
import type { NatsConnection, Subscription } from 'nats';
import {
  describeLocation,
  manifestLocation,
  type CheckpointStore,
  type EpochLocation,
  type Manifest,
} from '@iot/checkpoint-storage';
import {
  decodeSavepointRequest,
  encode,
  type CompleteMsg,
  type EpochCoordinator,
  type EpochCounter,
  type EpochKind,
  type LeaderElection,
  type Membership,
  type Subjects,
} from '@iot/control-plane';
import type { Tracer } from '@opentelemetry/api';
import { BatchTrace, type Logger } from '@iot/observability';

export interface CheckpointerMetrics {
  epochDone(
    kind: EpochKind,
    outcome: 'complete' | 'abandoned',
    seconds: number,
    bytes: number,
    epoch: number,
  ): void;
  expired(n: number): void;
  leader(isLeader: boolean): void;
}

export interface CheckpointerOptions {
  nc: NatsConnection;
  subjects: Subjects;
  store: CheckpointStore;
  election: LeaderElection;
  counter: EpochCounter;
  membership: Membership;
  coordinator: EpochCoordinator;
  log: Logger;
  metrics: CheckpointerMetrics;
  intervalMs: number;
  timeoutMs: number;
  retain: number;
  /** One span per epoch (phases trigger, snapshots, manifest, retention) when sampled. */
  tracer?: Tracer;
}

export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private savepointSub: Subscription | undefined;
  private leadership: AbortController | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private running: Promise<CompleteMsg> | undefined;
  private readonly trace: BatchTrace | undefined;
  lastEpoch = -1;

  constructor(private readonly o: CheckpointerOptions) {
    if (o.tracer) this.trace = new BatchTrace(o.tracer, 'checkpointer epoch', { upstream: 'link' });
    o.election.on('elected', ({ revision }) => this.onElected(revision));
    o.election.on('lost', ({ reason }) => this.onLost(reason));
  }

  get isLeader(): boolean {
    return this.o.election.isLeader;
  }

  start(): void {
    this.o.election.start();
  }

  /** Stops leading (resigns, so a standby takes over at once) and waits for the epoch in flight. */
  async stop(): Promise<void> {
    this.onLost('shutting down');
    await this.o.election.close();
    await this.queue.catch(() => undefined);
  }

  /** Runs one epoch now (serialized after any epoch in progress). */
  runEpoch(kind: EpochKind, name?: string): Promise<CompleteMsg> {
    const run = this.queue.then(() => this.epoch(kind, name));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private onElected(revision: number): void {
    const { log, metrics, intervalMs } = this.o;
    this.leadership = new AbortController();
    metrics.leader(true);
    log.info('elected checkpointer leader', { revision, intervalMs });
    this.savepointSub = this.o.nc.subscribe(this.o.subjects.savepoint, {
      callback: (err, msg) => {
        if (err) return;
        void (async () => {
          try {
            const req = decodeSavepointRequest(msg.data, msg.subject);
            const name = req.name ?? `savepoint-${new Date().toISOString().replace(/[:.]/g, '')}`;
            if (await this.o.store.readManifest({ kind: 'savepoint', name })) {
              throw new Error(`savepoint "${name}" exists already; pick another --name`);
            }
            msg.respond(encode(await this.runEpoch('savepoint', name)));
          } catch (e) {
            msg.respond(encode({ error: e instanceof Error ? e.message : String(e) }));
          }
        })();
      },
    });
    const tick = (): void => {
      this.timer = setTimeout(() => {
        // One epoch at a time: an interval that finds one running skips (no pile-up).
        if (this.running === undefined) void this.runEpoch('checkpoint').catch(() => undefined);
        else log.warn('epoch still running at the next interval; skipping this one');
        tick();
      }, intervalMs);
      this.timer.unref();
    };
    tick();
  }

  private onLost(reason: string): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.savepointSub?.unsubscribe();
    this.savepointSub = undefined;
    if (this.leadership !== undefined) {
      this.leadership.abort(`leadership lost: ${reason}`);
      this.leadership = undefined;
      this.o.metrics.leader(false);
      this.o.log.warn('no longer the checkpointer leader', { reason });
    }
  }

  private async epoch(kind: EpochKind, name?: string): Promise<CompleteMsg> {
    const signal = this.leadership?.signal;
    if (signal === undefined || signal.aborted) {
      throw new Error('this checkpointer is not the leader (any more)');
    }
    const run = this.doEpoch(kind, name, signal);
    this.running = run;
    try {
      return await run;
    } catch (err) {
      this.trace?.fail(err);
      throw err;
    } finally {
      this.running = undefined;
    }
  }

  private async doEpoch(
    kind: EpochKind,
    name: string | undefined,
    signal: AbortSignal,
  ): Promise<CompleteMsg> {
    const { store, counter, coordinator, membership, log, metrics } = this.o;
    const trace = this.trace;
    trace?.begin(
      () => ({
        'iot.epoch.kind': kind,
        'iot.checkpoint.prefix': store.prefix,
        ...(name === undefined ? {} : { 'iot.savepoint': name }),
      }),
      'trigger',
    );
    const listing = await store.listEpochs();
    const epoch = await counter.next(listing.maxEpoch + 1);
    const loc: EpochLocation =
      kind === 'savepoint' ? { kind, name: name ?? '' } : { kind: 'checkpoint', epoch };
    const expected = membership.participants(Date.now());
    trace?.phase('snapshots', () => ({
      'iot.epoch': epoch,
      'iot.expected_parts': expected.length,
    }));
    const result = await coordinator.run({
      epoch,
      kind,
      ...(name === undefined ? {} : { name }),
      expected,
      timeoutMs: this.o.timeoutMs,
      signal,
    });
    let abandonReason = result.status === 'abandoned' ? result.reason : undefined;
    let manifest: Manifest | undefined;
    if (result.status === 'complete') {
      trace?.phase('manifest');
      // Fence: a leader that lost its lease silently must not publish an epoch.
      if (await this.o.election.confirm().catch(() => false)) {
        manifest = {
          epoch,
          startedAt: result.startedAt,
          completedAt: new Date().toISOString(),
          kind,
          ...(name === undefined ? {} : { name }),
          parts: result.parts,
        };
        try {
          await store.writeManifest(manifest);
        } catch (err) {
          manifest = undefined;
          abandonReason = `writing the manifest failed: ${(err as Error).message}`;
        }
      } else {
        abandonReason = 'the leader lease was lost before the manifest could be written';
      }
    }
    const bytes = result.parts.reduce((s, p) => s + p.bytes, 0);
    const seconds = (Date.now() - Date.parse(result.startedAt)) / 1000;
    if (manifest === undefined) {
      // Never half-visible: no manifest was written; remove what the owners uploaded.
      const cleaned = await store.deleteEpoch(loc).catch((err: unknown) => {
        log.warn('cleaning up an abandoned epoch failed; retention sweeps it later', {
          epoch,
          err,
        });
        return 0;
      });
      const msg = coordinator.announce(result, {
        outcome: 'abandoned',
        reason: abandonReason ?? 'unknown',
      });
      metrics.epochDone(kind, 'abandoned', seconds, bytes, epoch);
      trace?.end(() => ({
        'iot.epoch': epoch,
        'iot.outcome': 'abandoned',
        'iot.abandon_reason': abandonReason ?? 'unknown',
        'iot.reported_parts': result.parts.length,
      }));
      log.warn('epoch abandoned', {
        epoch,
        kind,
        ...(name === undefined ? {} : { name }),
        reason: abandonReason,
        expected: expected.length,
        reported: result.parts.length,
        objectsDeleted: cleaned,
        durationMs: Math.round(seconds * 1000),
      });
      return msg;
    }
    this.lastEpoch = epoch;
    const msg = coordinator.announce(result);
    metrics.epochDone(kind, 'complete', seconds, bytes, epoch);
    let expired: number[] = [];
    let swept: number[] = [];
    trace?.phase('retention');
    try {
      ({ expired, swept } = await store.applyRetention(this.o.retain, epoch));
      metrics.expired(expired.length);
    } catch (err) {
      log.warn('retention failed; it runs again after the next epoch', { err });
    }
    trace?.end(() => ({
      'iot.epoch': epoch,
      'iot.outcome': 'complete',
      'iot.reported_parts': manifest.parts.length,
      'iot.bytes': bytes,
      'iot.expired_epochs': expired.length,
    }));
    log.info('epoch complete', {
      epoch,
      kind,
      ...(name === undefined ? {} : { name }),
      location: describeLocation(manifestLocation(manifest)),
      parts: manifest.parts.length,
      bytes,
      durationMs: Math.round(seconds * 1000),
      expired,
      swept,
    });
    return msg;
  }
}
