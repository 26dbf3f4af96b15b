// Topic name helpers: short names are completed to persistent://public/default/<name>, and
// partition i of topic T is the topic `T-partition-i`.

const PARTITION_SUFFIX = /-partition-(\d+)$/;

export function fullTopicName(topic: string): string {
  if (topic.includes('://')) return topic;
  const parts = topic.split('/');
  if (parts.length === 1) return `persistent://public/default/${topic}`;
  if (parts.length === 3) return `persistent://${topic}`;
  throw new TypeError(
    `invalid topic "${topic}": use <name>, <tenant>/<namespace>/<name> or persistent://<tenant>/<namespace>/<name>`,
  );
}

export function partitionTopicName(topic: string, partition: number): string {
  return `${topic}-partition-${partition}`;
}

/** The partition index encoded in a topic name, or -1 for a non-partition topic. */
export function partitionIndexOf(topic: string): number {
  const m = PARTITION_SUFFIX.exec(topic);
  return m ? Number(m[1]) : -1;
}

/** "persistent://public/default/t" → "persistent/public/default/t" (admin REST path). */
export function topicRestPath(topic: string): string {
  const full = fullTopicName(topic);
  const [domain, rest] = full.split('://') as [string, string];
  return `${domain}/${rest.split('/').map(encodeURIComponent).join('/')}`;
}
