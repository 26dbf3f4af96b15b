// One checkpoint epoch as a pure state machine (docs/architecture.md, "Checkpoints"): the partitions expected to
// report are fixed at the start (from membership); reports come in; the epoch completes when
// every expected partition stored its snapshot, and is abandoned on an error report or when
// the deadline passes. No I/O and no clock: the adapter feeds it reports and the time.
import type { ManifestPart } from '@iot/checkpoint-storage';
import type { EpochKind, ReportMsg } from './messages.ts';

export interface ParticipantKey {
  service: string;
  partition: number;
}

export type EpochOutcome =
  | { status: 'complete'; parts: ManifestPart[] }
  | { status: 'abandoned'; reason: string; missing: ParticipantKey[]; parts: ManifestPart[] };

export interface EpochRoundOptions {
  epoch: number;
  kind: EpochKind;
  name?: string;
  expected: readonly ParticipantKey[];
  /** Wall-clock ms. */
  deadline: number;
}

export function participantId(p: ParticipantKey): string {
  return `${p.service}/${p.partition}`;
}

export class EpochRound {
  readonly epoch: number;
  readonly kind: EpochKind;
  readonly name: string | undefined;
  readonly deadline: number;
  private readonly expected = new Map<string, ParticipantKey>();
  private readonly parts = new Map<string, ManifestPart>();
  private result: EpochOutcome | undefined;

  constructor(opts: EpochRoundOptions) {
    this.epoch = opts.epoch;
    this.kind = opts.kind;
    this.name = opts.name;
    this.deadline = opts.deadline;
    for (const p of opts.expected) this.expected.set(participantId(p), p);
    if (this.expected.size === 0) {
      // An empty manifest would become the newest epoch and hide every older snapshot.
      this.result = {
        status: 'abandoned',
        reason: 'no partition owners are alive (no heartbeats): nothing to snapshot',
        missing: [],
        parts: [],
      };
    }
  }

  get outcome(): EpochOutcome | undefined {
    return this.result;
  }

  /** Partitions expected and not yet reported. */
  get missing(): ParticipantKey[] {
    return [...this.expected].filter(([id]) => !this.parts.has(id)).map(([, p]) => p);
  }

  /** Feeds one report; returns the outcome once decided (the same one ever after). */
  report(r: ReportMsg, now: number): EpochOutcome | undefined {
    if (this.result !== undefined || r.epoch !== this.epoch) return this.result;
    if (now > this.deadline) return this.tick(now);
    const id = participantId(r);
    if (!r.ok) {
      return this.abandon(`${id} (instance ${r.instance}) failed its snapshot: ${r.error}`);
    }
    // A partition that moved mid-epoch may report twice; either snapshot is a consistent
    // cut of that partition, keep the first.
    if (!this.parts.has(id)) {
      const part: ManifestPart = {
        service: r.service,
        partition: r.partition,
        key: r.key,
        bytes: r.bytes,
        sha256: r.sha256,
      };
      if (r.ownerEpoch !== undefined) part.ownerEpoch = r.ownerEpoch;
      this.parts.set(id, part);
    }
    if (this.missing.length === 0) {
      this.result = { status: 'complete', parts: this.sortedParts() };
    }
    return this.result;
  }

  /** Checks the deadline. */
  tick(now: number): EpochOutcome | undefined {
    if (this.result === undefined && now > this.deadline) {
      const missing = this.missing;
      return this.abandon(
        `timed out waiting for ${missing.length} partition(s): ` +
          missing.slice(0, 10).map(participantId).join(', ') +
          (missing.length > 10 ? ', …' : ''),
      );
    }
    return this.result;
  }

  /** Gives up now (e.g. leadership lost). */
  abandon(reason: string): EpochOutcome {
    this.result ??= {
      status: 'abandoned',
      reason,
      missing: this.missing,
      parts: this.sortedParts(),
    };
    return this.result;
  }

  private sortedParts(): ManifestPart[] {
    return [...this.parts.values()].sort(
      (a, b) => a.service.localeCompare(b.service) || a.partition - b.partition,
    );
  }
}
