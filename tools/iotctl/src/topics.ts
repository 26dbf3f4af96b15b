// `iotctl topics ensure`: the pipeline's topics with their configured partition counts, created
// when missing, raised when configured higher; idempotent, so every pod's init step runs it
// (k8s/). Without it a broker that auto-creates topics makes non-partitioned ones when a stage
// first connects, and every stage collapses to one partition: one active consumer.
import { AdminError, type PulsarAdmin } from '@iot/pulsar';

/** What a topic should be: `partitions` 0 means non-partitioned. */
export interface TopicWant {
  readonly variable: string;
  readonly topic: string;
  readonly partitions: number;
  /**
   * Raising it moves keys to other partitions: records of one device would reach an
   * aggregator partition whose state does not hold that device's open windows.
   */
  readonly keyedState?: boolean;
}

/** What the broker has: absent, non-partitioned, or partitioned with `partitions`. */
export type TopicHave =
  | { readonly kind: 'absent' }
  | { readonly kind: 'plain' }
  | { readonly kind: 'partitioned'; readonly partitions: number };

export type TopicStep =
  | { readonly action: 'keep'; readonly line: string }
  | { readonly action: 'create' | 'raise'; readonly line: string }
  | { readonly action: 'refuse'; readonly line: string };

/** The one step that brings `have` to `want`, or why it cannot. Pure. */
export function planTopic(want: TopicWant, have: TopicHave, allowRepartition: boolean): TopicStep {
  const { topic, partitions, variable } = want;
  const setting = `${variable}_PARTITIONS`;
  if (have.kind === 'absent')
    return partitions === 0
      ? { action: 'create', line: `${topic}: created (non-partitioned)` }
      : { action: 'create', line: `${topic}: created with ${partitions} partitions` };
  if (partitions === 0)
    return {
      action: 'keep',
      line: `${topic}: exists${have.kind === 'partitioned' ? ` (${have.partitions} partitions)` : ''}`,
    };
  if (have.kind === 'plain')
    return {
      action: 'refuse',
      line:
        `${topic} exists as a non-partitioned topic (a broker that auto-creates topics made it ` +
        `when a client connected first?); Pulsar cannot partition it: delete it if it holds ` +
        `nothing you need, then run this again`,
    };
  if (have.partitions === partitions)
    return { action: 'keep', line: `${topic}: ${partitions} partitions` };
  if (have.partitions > partitions)
    return {
      action: 'refuse',
      line:
        `${topic} has ${have.partitions} partitions, more than ${setting}=${partitions}; ` +
        `Pulsar cannot lower a partition count: set ${setting}=${have.partitions}`,
    };
  if (want.keyedState === true && !allowRepartition)
    return {
      action: 'refuse',
      line:
        `${topic}: raising ${have.partitions} → ${partitions} partitions moves devices to other ` +
        `aggregator partitions, whose state lacks their open windows; do it on a drained ` +
        `pipeline with --repartition-records (k8s/README.md, Topics and partitions)`,
    };
  return {
    action: 'raise',
    line: `${topic}: raised from ${have.partitions} to ${partitions} partitions`,
  };
}

async function inspect(admin: PulsarAdmin, topic: string): Promise<TopicHave> {
  const { partitions } = await admin.getPartitionedTopicMetadata(topic);
  if (partitions > 0) return { kind: 'partitioned', partitions };
  const namespace = topic
    .replace(/^[a-z-]+:\/\//, '')
    .split('/')
    .slice(0, 2)
    .join('/');
  return (await admin.listTopics(namespace)).includes(topic)
    ? { kind: 'plain' }
    : { kind: 'absent' };
}

async function apply(admin: PulsarAdmin, want: TopicWant, have: TopicHave): Promise<void> {
  if (have.kind === 'absent' && want.partitions === 0) await admin.createTopic(want.topic);
  else if (have.kind === 'absent') await admin.createPartitionedTopic(want.topic, want.partitions);
  else await admin.updatePartitionedTopic(want.topic, want.partitions);
}

/**
 * Brings every topic to its wanted shape; returns one line per topic, or throws with every
 * topic it refused to change. Another process doing the same at once (every pod's init step)
 * can make a create answer 409 or a raise 422: the topic is then read again and planned anew.
 */
export async function ensureTopics(
  admin: PulsarAdmin,
  wants: readonly TopicWant[],
  allowRepartition: boolean,
): Promise<string[]> {
  const lines: string[] = [];
  const refused: string[] = [];
  for (const want of wants) {
    const have = await inspect(admin, want.topic);
    let step = planTopic(want, have, allowRepartition);
    if (step.action === 'create' || step.action === 'raise') {
      try {
        await apply(admin, want, have);
      } catch (err) {
        // 409: created meanwhile; 422: raised past the count meanwhile.
        if (!(err instanceof AdminError && (err.status === 409 || err.status === 422))) throw err;
        step = planTopic(want, await inspect(admin, want.topic), allowRepartition);
        if (step.action === 'create' || step.action === 'raise')
          throw new Error(`${want.topic}: ${err.message}`, { cause: err });
      }
    }
    (step.action === 'refuse' ? refused : lines).push(step.line);
  }
  if (refused.length > 0) throw new Error(refused.join('\n'));
  return lines;
}
