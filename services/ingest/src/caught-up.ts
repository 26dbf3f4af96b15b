// Whether ingest has caught up with a source partition: the ground for telling the aggregator
// that the partition is idle (docs/architecture.md, "Time and watermarks"). Asked of the
// broker, not inferred from a quiet moment: a dead connection or a slow broker is not idle.
import { MessageId, type Consumer } from '@iot/pulsar';

/** For IngestTaskDeps.caughtUp: the consumer of one source partition. */
export function caughtUpWith(consumer: Consumer): (position: string | null) => Promise<boolean> {
  return async (position) => {
    if (consumer.disconnectedTopics.length > 0 || consumer.queuedMessages > 0) return false;
    const last = await consumer.getLastMessageId().catch(() => undefined);
    return last !== undefined && atOrBefore(last, position);
  };
}

/** Whether the partition's last entry `last` is at or before the consumed `position`. */
export function atOrBefore(last: MessageId, position: string | null): boolean {
  // (ledger, -1): the ledger has no entry yet; with nothing consumed, only that is caught up.
  if (position === null) return last.entryId < 0n;
  const p = MessageId.parse(position);
  return last.ledgerId < p.ledgerId || (last.ledgerId === p.ledgerId && last.entryId <= p.entryId);
}
