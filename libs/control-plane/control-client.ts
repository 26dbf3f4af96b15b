// The operator's side of the control plane (iotctl, tests): status of every instance,
// suspend/resume/restore with an ack from each, savepoints through the checkpointer leader.
import type { NatsConnection } from 'nats';
import { gather } from './gather.ts';
import { MembershipWatcher } from './membership.ts';
import {
  decodeAck,
  decodeSavepointReply,
  decodeStatus,
  encode,
  type CompleteMsg,
  type ControlAck,
  type ControlAction,
  type InstanceStatus,
  type SavepointRequest,
} from './messages.ts';
import type { Subjects } from './subjects.ts';

export interface ControlResult {
  acks: ControlAck[];
  /** Instances that answered status but did not ack in time. */
  missing: InstanceStatus[];
}

export class ControlClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
  ) {}

  /** Every instance that answers within `windowMs` (each replies once). */
  async status(windowMs = 1500): Promise<InstanceStatus[]> {
    const replies = await gather(this.nc, this.subjects.status, encode({}), decodeStatus, {
      timeoutMs: windowMs,
    });
    return replies.sort(
      (a, b) => a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance),
    );
  }

  /**
   * Every instance that answers status or heartbeats within `windowMs`: the writer only
   * heartbeats (every 2 s), so the window should be longer than that.
   */
  async members(windowMs = 2500): Promise<InstanceStatus[]> {
    const watcher = new MembershipWatcher(this.nc, this.subjects, { expiryMs: windowMs * 2 });
    try {
      const started = Date.now();
      const replies = await this.status(Math.min(windowMs, 1500));
      await new Promise((r) => setTimeout(r, Math.max(0, windowMs - (Date.now() - started))));
      const byKey = new Map(watcher.membership.live(Date.now()).map((s) => [key(s), s]));
      for (const s of replies) byKey.set(key(s), s);
      return [...byKey.values()].sort(
        (a, b) => a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance),
      );
    } finally {
      watcher.close();
    }
  }

  suspend(opts: { timeoutMs?: number; statusWindowMs?: number } = {}): Promise<ControlResult> {
    return this.control('suspend', opts);
  }

  resume(opts: { timeoutMs?: number; statusWindowMs?: number } = {}): Promise<ControlResult> {
    return this.control('resume', opts);
  }

  /** Every owner restores its partitions from `from` (an epoch or savepoint) at a boundary. */
  restore(
    from: string,
    opts: { timeoutMs?: number; statusWindowMs?: number } = {},
  ): Promise<ControlResult> {
    return this.control('restore', { timeoutMs: 90_000, ...opts }, { from });
  }

  /** Asks the checkpointer leader for a savepoint; resolves with the epoch's outcome. */
  async savepoint(req: SavepointRequest, timeoutMs: number): Promise<CompleteMsg> {
    let reply;
    try {
      reply = await this.nc.request(this.subjects.savepoint, encode(req), { timeout: timeoutMs });
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      if (/503|no responders/i.test(text)) {
        throw new Error(
          `no checkpointer leader answers on ${this.subjects.savepoint}: is the checkpointer running?`,
        );
      }
      if (/timeout/i.test(text)) {
        throw new Error(
          `the savepoint did not finish within ${timeoutMs} ms; see the checkpointer log`,
        );
      }
      throw err;
    }
    const out = decodeSavepointReply(reply.data, this.subjects.savepoint);
    if ('error' in out) throw new Error(`checkpointer refused the savepoint: ${out.error}`);
    return out;
  }

  /** Learns who is alive from status, then waits for an ack from each of them. */
  private async control(
    action: ControlAction,
    opts: { timeoutMs?: number; statusWindowMs?: number },
    request: object = {},
  ): Promise<ControlResult> {
    const known = await this.status(opts.statusWindowMs ?? 1500);
    const acks = await gather(this.nc, this.subjects[action], encode(request), decodeAck, {
      timeoutMs: opts.timeoutMs ?? 15_000,
      expected: known.length,
    });
    const acked = new Set(acks.map((a) => `${a.service}/${a.instance}`));
    return {
      acks,
      missing: known.filter((s) => !acked.has(`${s.service}/${s.instance}`)),
    };
  }
}

const key = (s: InstanceStatus) => `${s.service}/${s.instance}`;
