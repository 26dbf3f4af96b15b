import type { MessageId } from './message-id.ts';

/** A received message. Times are milliseconds since the epoch. */
export interface Message {
  /** The topic (or `T-partition-i`) it came from. */
  topic: string;
  payload: Buffer;
  key: string | undefined;
  properties: Record<string, string>;
  /** Application event time, when the producer set one. */
  eventTime: number | undefined;
  publishTime: number;
  messageId: MessageId;
  redeliveryCount: number;
  producerName: string;
  sequenceId: bigint;
  orderingKey: Buffer | undefined;
  /**
   * The schema version the producer stamped (producers with a registered schema, e.g. the
   * Java client's Schema.AVRO): 8 bytes, big-endian; PulsarAdmin.getSchema reads it.
   */
  schemaVersion?: Buffer;
  /**
   * Set when the consumer could not decode the entry (checksum mismatch, declared size above
   * maxMessageSize, corrupt compression or batch) and was created with
   * `corruptMessages: 'deliver'`: `payload` is then the entry's raw bytes, and the
   * application should dead-letter the message and acknowledge it.
   */
  decodeError?: string;
}
