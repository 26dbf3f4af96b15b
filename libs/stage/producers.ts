// Producer settings every stage uses for its outputs.
import type { CompressionName, Producer, PulsarClient } from '@iot/pulsar';

/**
 * A batching producer that never fails a send on time: while the broker is away the send
 * waits for the reconnect (the stage has not acked its input, so nothing is lost either way,
 * but failing would only turn an outage into a restart loop).
 */
export function outputProducer(
  client: PulsarClient,
  topic: string,
  routing: 'key-hash' | 'round-robin' = 'key-hash',
): Promise<Producer> {
  return client.createProducer({
    topic,
    routing,
    batching: { maxMessages: 1000, maxBytes: 512 * 1024, maxDelayMs: 5 },
    compression: 'lz4',
    maxPendingMessages: 20_000,
    blockIfQueueFull: true,
    sendTimeoutMs: 0,
  });
}

/**
 * A producer for the envelopes on the intermediate topics: each envelope is already a batch
 * (hundreds of records or alerts), so it goes as its own entry, without the batch container's
 * delay and per-message metadata. Compression is off by default (docs/architecture.md,
 * "Envelopes", says why).
 */
export function envelopeProducer(
  client: PulsarClient,
  topic: string,
  compression: CompressionName = 'none',
): Promise<Producer> {
  return client.createProducer({
    topic,
    routing: 'round-robin',
    batching: false,
    compression,
    maxPendingMessages: 1_000,
    blockIfQueueFull: true,
    sendTimeoutMs: 0,
  });
}
