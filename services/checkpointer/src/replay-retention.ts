// Pulsar retention so any kept epoch can be replayed (DESIGN.md §4 "Replay is possible"): the
// oldest kept epoch is CHECKPOINT_RETAIN intervals old, so acknowledged input must stay at
// least that long; we keep twice that. Raised, never lowered (someone may keep more), on the
// namespaces of the replayed topics (topics created later inherit it) and on each existing
// topic (a topic-level policy overrides the namespace's).
import { AdminError, type PulsarAdmin, type RetentionPolicy } from '@iot/pulsar';

export function replayRetentionMinutes(intervalMs: number, retain: number): number {
  return Math.floor((2 * intervalMs * retain) / 60_000) + 1; // strictly more than 2 × K × interval
}

/** True when `policy` keeps acknowledged data at least `minutes` (−1 = forever). */
export function keepsLongEnough(policy: RetentionPolicy | undefined, minutes: number): boolean {
  if (policy === undefined || policy === null) return false;
  const time = policy.retentionTimeInMinutes;
  return (time === -1 || time >= minutes) && policy.retentionSizeInMB !== 0;
}

export interface RetentionChange {
  scope: 'namespace' | 'topic';
  name: string;
  from: RetentionPolicy | undefined;
  to: RetentionPolicy;
}

export async function ensureReplayRetention(
  admin: PulsarAdmin,
  topics: readonly string[],
  minutes: number,
): Promise<RetentionChange[]> {
  const policy: RetentionPolicy = { retentionTimeInMinutes: minutes, retentionSizeInMB: -1 };
  const changes: RetentionChange[] = [];
  const namespaces = [...new Set(topics.map(namespaceOf))];
  for (const ns of namespaces) {
    const current = await admin.getNamespaceRetention(ns);
    if (keepsLongEnough(current, minutes)) continue;
    await admin.setNamespaceRetention(ns, policy);
    changes.push({ scope: 'namespace', name: ns, from: current, to: policy });
  }
  for (const topic of topics) {
    let current: RetentionPolicy | undefined;
    try {
      current = await admin.getTopicRetention(topic);
    } catch (err) {
      if (err instanceof AdminError && err.status === 404) continue; // not created yet
      throw err;
    }
    // No topic-level policy: the namespace's (just ensured) applies.
    if (current === undefined || current === null || keepsLongEnough(current, minutes)) continue;
    await admin.setTopicRetention(topic, policy);
    changes.push({ scope: 'topic', name: topic, from: current, to: policy });
  }
  return changes;
}

function namespaceOf(topic: string): string {
  const m = /^(?:persistent|non-persistent):\/\/([^/]+)\/([^/]+)\/.+$/.exec(topic);
  if (!m) throw new TypeError(`"${topic}" is not a full topic name (persistent://tenant/ns/topic)`);
  return `${m[1]}/${m[2]}`;
}
