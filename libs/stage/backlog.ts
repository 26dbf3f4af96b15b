// A stage's consumer backlog per partition of its input topic, from the broker's own count
// (Pulsar admin stats of the subscription: messages not yet acknowledged), polled in the
// background. It is what `iotctl status` shows as lag; the broker's figure includes what a
// consumer has prefetched but not processed, which its own queue length would hide.
import { pulsarCredentials } from '@iot/config';
import type { Logger } from '@iot/observability';
import {
  PulsarAdmin,
  partitionIndexOf,
  type PartitionedTopicStats,
  type TopicStats,
} from '@iot/pulsar';
import type { PartitionConsumer } from './failover-ownership.ts';

/** The subscription's backlog per partition (0 for a topic that is not partitioned). */
export function subscriptionBacklog(
  stats: TopicStats | PartitionedTopicStats,
  subscription: string,
): Map<number, number> {
  const out = new Map<number, number>();
  const partitions = (stats as PartitionedTopicStats).partitions;
  if (partitions === undefined) {
    const sub = stats.subscriptions[subscription];
    if (sub !== undefined) out.set(0, sub.msgBacklog);
    return out;
  }
  for (const [name, s] of Object.entries(partitions)) {
    const sub = s.subscriptions[subscription];
    const p = partitionIndexOf(name);
    if (sub !== undefined && p >= 0) out.set(p, sub.msgBacklog);
  }
  return out;
}

export interface BacklogMonitorOptions {
  admin: Pick<PulsarAdmin, 'getTopicStats' | 'getPartitionedStats'>;
  topic: string;
  /** Whether `topic` is partitioned (its partition count > 0). */
  partitioned: boolean;
  subscription: string;
  intervalMs?: number;
  onError?: (err: unknown) => void;
  now?: () => number;
}

/** Polls the backlog every `intervalMs` (default 5 s); `of(p)` is the latest figure. */
export class BacklogMonitor {
  private latest = new Map<number, number>();
  private at = 0;
  private timer: NodeJS.Timeout | undefined;
  private failed = false;

  constructor(private readonly opts: BacklogMonitorOptions) {}

  start(): this {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.interval);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Messages not yet acknowledged on partition `p`; undefined when unknown or stale. */
  of(p: number): number | undefined {
    const now = (this.opts.now ?? Date.now)();
    // Older than three polls: the admin API has not answered for a while; say nothing.
    if (now - this.at > 3 * this.interval) return undefined;
    return this.latest.get(p);
  }

  /** Every partition's latest figure; empty when unknown or stale. */
  all(): ReadonlyMap<number, number> {
    const now = (this.opts.now ?? Date.now)();
    return now - this.at > 3 * this.interval ? new Map() : this.latest;
  }

  /** The topic watched (without a partition suffix). */
  get topic(): string {
    return this.opts.topic;
  }

  private get interval(): number {
    return this.opts.intervalMs ?? 5000;
  }

  async poll(): Promise<void> {
    const { admin, topic, subscription } = this.opts;
    try {
      const stats = this.opts.partitioned
        ? await admin.getPartitionedStats(topic, true)
        : await admin.getTopicStats(topic);
      this.latest = subscriptionBacklog(stats, subscription);
      this.at = (this.opts.now ?? Date.now)();
      this.failed = false;
    } catch (err) {
      // Once per outage: the admin API being away is not worth a line every 5 s.
      if (!this.failed) this.opts.onError?.(err);
      this.failed = true;
    }
  }
}

/** The backlog of a stage's Failover subscription (`subscribePartitions`), polled from now on. */
export function watchBacklog(
  config: Parameters<typeof pulsarCredentials>[0] & { PULSAR_ADMIN_URL: string },
  sources: readonly PartitionConsumer[],
  subscription: string,
  log: Logger,
): BacklogMonitor {
  const first = sources[0];
  const partitioned = first !== undefined && partitionIndexOf(first.topic) >= 0;
  const topic = partitioned ? first.topic.replace(/-partition-\d+$/, '') : (first?.topic ?? '');
  return new BacklogMonitor({
    admin: new PulsarAdmin({
      adminUrl: config.PULSAR_ADMIN_URL,
      ...pulsarCredentials(config),
      timeoutMs: 5000,
    }),
    topic,
    partitioned,
    subscription,
    onError: (err) =>
      log.warn('cannot read the subscription backlog from the Pulsar admin API; lag unknown', {
        adminUrl: config.PULSAR_ADMIN_URL,
        err,
      }),
  }).start();
}
