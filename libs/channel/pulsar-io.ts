// Thin adapters between the stages' ports (receive a micro-batch, ack it; publish and await
// receipts) and @iot/pulsar consumers and producers.
import type { Consumer, Message, Producer } from '@iot/pulsar';
import type { OutgoingMessage } from './messages.ts';

/** A micro-batch as every stage's task reads it: the messages, and one ack for all of them. */
export interface ReceivedBatch<T> {
  messages: T[];
  /** Acknowledges every message of the batch (after its effects were committed). */
  ack(): Promise<void>;
}

/** Where a stage's task reads its micro-batches: up to `maxMessages`, or what came in time. */
export interface BatchSource<T> {
  receiveBatch(maxMessages: number, timeoutMs: number): Promise<ReceivedBatch<T>>;
}

/**
 * Reads micro-batches from a consumer, mapping each message with `map`. With `cumulative`
 * (Exclusive and Failover subscriptions, where one consumer sees a partition in order) a
 * batch is acknowledged by one cumulative ack of its last message; otherwise message by
 * message.
 */
export function batchSource<T>(
  consumer: Consumer,
  map: (m: Message) => T,
  opts: { cumulative?: boolean } = {},
): BatchSource<T> {
  return {
    async receiveBatch(max, timeoutMs) {
      const received = await consumer.receiveBatch(max, timeoutMs);
      return {
        messages: received.map(map),
        ack: async () => {
          const last = received.at(-1);
          if (last === undefined) return;
          if (opts.cumulative) await consumer.ackCumulative(last);
          else await Promise.all(received.map((m) => consumer.ack(m)));
        },
      };
    },
  };
}

/** Sends every message (in order) and resolves once the broker confirmed all of them. */
export async function publishAll(
  producer: Producer,
  messages: readonly OutgoingMessage[],
): Promise<void> {
  await Promise.all(messages.map((m) => producer.send(m)));
}
