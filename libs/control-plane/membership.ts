// Who is alive and what they own (docs/architecture.md, "Control plane"): every instance publishes a heartbeat with
// its owned partitions; the registry keeps the latest per instance and forgets an instance
// silent for longer than `expiryMs`. The checkpointer's expected participants come from here.
import type { NatsConnection, Subscription } from 'nats';
import type { ParticipantKey } from './epoch-round.ts';
import { decodeStatus, encode, type InstanceStatus } from './messages.ts';
import type { Subjects } from './subjects.ts';

/** Pure registry: feed heartbeats and the time. */
export class Membership {
  private readonly instances = new Map<string, { status: InstanceStatus; seenAt: number }>();

  constructor(private readonly expiryMs: number) {}

  observe(status: InstanceStatus, now: number): void {
    this.instances.set(`${status.service}/${status.instance}`, { status, seenAt: now });
  }

  /** Instances heard from within `expiryMs`; silent ones are dropped. */
  live(now: number): InstanceStatus[] {
    for (const [id, i] of this.instances) {
      if (now - i.seenAt > this.expiryMs) this.instances.delete(id);
    }
    return [...this.instances.values()].map((i) => i.status);
  }

  /** Every (service, partition) some live instance owns, each once. */
  participants(now: number): ParticipantKey[] {
    const seen = new Map<string, ParticipantKey>();
    for (const s of this.live(now)) {
      for (const partition of s.partitions) {
        seen.set(`${s.service}/${partition}`, { service: s.service, partition });
      }
    }
    return [...seen.values()].sort(
      (a, b) => a.service.localeCompare(b.service) || a.partition - b.partition,
    );
  }
}

/** Subscribes to every heartbeat and keeps a Membership up to date. */
export class MembershipWatcher {
  readonly membership: Membership;
  private readonly sub: Subscription;

  constructor(
    nc: NatsConnection,
    subjects: Subjects,
    opts: { expiryMs: number; now?: () => number; onInvalid?: (err: unknown) => void },
  ) {
    const now = opts.now ?? Date.now;
    this.membership = new Membership(opts.expiryMs);
    this.sub = nc.subscribe(subjects.heartbeats, {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.membership.observe(decodeStatus(msg.data, msg.subject), now());
        } catch (e) {
          opts.onInvalid?.(e);
        }
      },
    });
  }

  close(): void {
    this.sub.unsubscribe();
  }
}

/** Publishes this instance's status on its heartbeat subject every `intervalMs`. */
export class Heartbeater {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly status: () => InstanceStatus,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /** Sends one heartbeat now (e.g. right after the owned partitions changed). */
  beat(): void {
    if (this.nc.isClosed()) return;
    const s = this.status();
    this.nc.publish(this.subjects.heartbeat(s.service, s.instance), encode(s));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
