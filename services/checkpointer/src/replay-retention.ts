// Pulsar retention so any kept epoch can be replayed (docs/architecture.md, "Exactly once": replay): the
// oldest kept epoch is CHECKPOINT_RETAIN intervals old, so acknowledged input must stay at
// least that long; we keep twice that. Only the pipeline's own topics are touched, by
// topic-level policies, and only when the policy in force on them (the topic's, else the
// namespace's, else the broker's defaults) keeps less: a namespace policy would change every
// other topic of the namespace, and one set where none existed overrides the broker's default,
// lowering it for them (it did: public/default ended at 2 minutes against the broker's 180).
import { AdminError, fullTopicName, type RetentionPolicy } from '@iot/pulsar';

/** What ensureReplayRetention needs of PulsarAdmin. */
export interface RetentionAdmin {
  getAppliedTopicRetention(topic: string): Promise<RetentionPolicy>;
  setTopicRetention(topic: string, policy: RetentionPolicy): Promise<void>;
  getNamespaceRetention(namespace: string): Promise<RetentionPolicy | undefined>;
  getRuntimeConfiguration(): Promise<Record<string, string>>;
}

export function replayRetentionMinutes(intervalMs: number, retain: number): number {
  return Math.floor((2 * intervalMs * retain) / 60_000) + 1; // strictly more than 2 × K × interval
}

/**
 * The policy to set so that `current` keeps acknowledged data at least `minutes`, or undefined
 * when it already does. Never lowers: −1 (no limit) stays, a longer time stays, and a size
 * limit stays (the operator's cap on disk; 0, which keeps nothing, becomes no limit).
 */
export function raisedRetention(
  current: RetentionPolicy,
  minutes: number,
): RetentionPolicy | undefined {
  const time = current.retentionTimeInMinutes;
  const size = current.retentionSizeInMB;
  const longEnough = time === -1 || time >= minutes;
  if (longEnough && size !== 0) return undefined;
  return {
    retentionTimeInMinutes: longEnough ? time : minutes,
    retentionSizeInMB: size === 0 ? -1 : size,
  };
}

export interface RetentionChange {
  topic: string;
  from: RetentionPolicy;
  to: RetentionPolicy;
}

export interface RetentionResult {
  changes: RetentionChange[];
  /** Topics that do not exist yet: nothing applies to them until they do (ask again then). */
  missing: string[];
}

export async function ensureReplayRetention(
  admin: RetentionAdmin,
  topics: readonly string[],
  minutes: number,
): Promise<RetentionResult> {
  const result: RetentionResult = { changes: [], missing: [] };
  for (const topic of new Set(topics)) {
    let current: RetentionPolicy;
    try {
      current = await admin.getAppliedTopicRetention(topic);
    } catch (err) {
      if (err instanceof AdminError && err.status === 404) {
        result.missing.push(topic);
        continue;
      }
      if (!(err instanceof AdminError && err.status === 405)) throw err;
      // Topic-level policies off: what applies is the namespace's, else the broker's; enough
      // is fine, otherwise only the operator can raise it without touching other topics.
      if (!raisedRetention(await withoutTopicPolicies(admin, topic), minutes)) continue;
      throw explain(err, topic, minutes);
    }
    const to = raisedRetention(current, minutes);
    if (!to) continue;
    try {
      await admin.setTopicRetention(topic, to);
    } catch (err) {
      throw explain(err, topic, minutes);
    }
    result.changes.push({ topic, from: current, to });
  }
  return result;
}

/**
 * Calls ensureReplayRetention for the topics still missing every `everyMs` until all exist
 * (stages or a provisioning job may create them after the checkpointer starts). Returns stop.
 */
export function ensureWhenCreated(
  admin: RetentionAdmin,
  missing: readonly string[],
  minutes: number,
  everyMs: number,
  report: { changed(c: RetentionChange[]): void; failed(err: unknown): void },
): () => void {
  let waiting = [...missing];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const round = async () => {
    try {
      const r = await ensureReplayRetention(admin, waiting, minutes);
      waiting = r.missing;
      if (r.changes.length > 0) report.changed(r.changes);
    } catch (err) {
      report.failed(err);
    }
    if (!stopped && waiting.length > 0) timer = setTimeout(() => void round(), everyMs);
  };
  if (waiting.length > 0) timer = setTimeout(() => void round(), everyMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

async function withoutTopicPolicies(
  admin: RetentionAdmin,
  topic: string,
): Promise<RetentionPolicy> {
  const own = await admin.getNamespaceRetention(namespaceOf(topic));
  if (own) return own;
  const cfg = await admin.getRuntimeConfiguration();
  return {
    retentionTimeInMinutes: Number(cfg.defaultRetentionTimeInMinutes ?? 0),
    retentionSizeInMB: Number(cfg.defaultRetentionSizeInMB ?? 0),
  };
}

function namespaceOf(topic: string): string {
  const [tenant, ns] = fullTopicName(topic).split('://')[1]!.split('/');
  return `${tenant}/${ns}`;
}

function explain(err: unknown, topic: string, minutes: number): unknown {
  if (err instanceof AdminError && err.status === 405) {
    return new AdminError(
      `${err.message}. Set topicLevelPoliciesEnabled=true on the broker, or give ${topic} ` +
        `at least ${minutes} min of retention yourself`,
      err.status,
    );
  }
  return err;
}
