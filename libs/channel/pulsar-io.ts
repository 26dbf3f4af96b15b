// Thin adapters between the stages' ports (receive a micro-batch, ack it; publish and await
// receipts) and @iot/pulsar consumers and producers.
import type { Consumer, Message, Producer } from '@iot/pulsar';
import type { OutgoingMessage } from './messages.ts';

export interface ReceivedBatch<T> {
  messages: T[];
  /** Acknowledges every message of the batch (after its effects were committed). */
  ack(): Promise<void>;
}

/** Reads micro-batches from a consumer, mapping each message with `map`. */
export function batchSource<T>(
  consumer: Consumer,
  map: (m: Message) => T,
): { receiveBatch(max: number, timeoutMs: number): Promise<ReceivedBatch<T>> } {
  return {
    async receiveBatch(max, timeoutMs) {
      const received = await consumer.receiveBatch(max, timeoutMs);
      return {
        messages: received.map(map),
        ack: async () => {
          await Promise.all(received.map((m) => consumer.ack(m)));
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
