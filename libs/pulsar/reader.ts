// Reader: a non-durable, exclusive subscription that starts at a given message id
// (earliest, latest, or any id — inclusive on request) and needs no acknowledgements.
import { randomBytes } from 'node:crypto';
import type { ClientContext } from './connection-handler.ts';
import { Consumer } from './consumer.ts';
import type { Message } from './message.ts';
import { MessageId } from './message-id.ts';

export interface ReaderOptions {
  topic: string;
  startMessageId: MessageId;
  /** Deliver the start message itself too (default false: start after it). */
  startMessageIdInclusive?: boolean;
  receiverQueueSize?: number;
  readerName?: string;
  /** Subscription name prefix; a random suffix keeps readers apart. */
  subscriptionRolePrefix?: string;
  readCompacted?: boolean;
}

export class Reader {
  private constructor(private readonly consumer: Consumer) {}

  static async create(client: ClientContext, options: ReaderOptions): Promise<Reader> {
    const subscription = `${options.subscriptionRolePrefix ?? 'reader'}-${randomBytes(5).toString('hex')}`;
    const consumer = await Consumer.create(client, {
      topic: options.topic,
      subscription,
      type: 'Exclusive',
      initialPosition: options.startMessageId.equals(MessageId.earliest) ? 'Earliest' : 'Latest',
      receiverQueueSize: options.receiverQueueSize,
      consumerName: options.readerName,
      readCompacted: options.readCompacted,
      durable: false,
      startMessageId: options.startMessageId,
      startMessageIdInclusive: options.startMessageIdInclusive ?? false,
    });
    return new Reader(consumer);
  }

  get topic(): string {
    return this.consumer.topic;
  }

  readNext(timeoutMs?: number): Promise<Message> {
    return this.consumer.receive(timeoutMs);
  }

  receiveBatch(max: number, timeoutMs: number): Promise<Message[]> {
    return this.consumer.receiveBatch(max, timeoutMs);
  }

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.consumer[Symbol.asyncIterator]();
  }

  /** True when messages remain between what was read and the topic's last message. */
  async hasMessageAvailable(): Promise<boolean> {
    if (this.consumer.queuedMessages > 0) return true;
    const last = await this.consumer.getLastMessageIds();
    const read = this.consumer.lastDequeuedIds();
    return last.some((l, i) => {
      if (l.entryId < 0n) return false; // empty topic
      const r = read[i];
      return (
        r === undefined ||
        r.entry().compare(l.entry()) < 0 ||
        (l.batchIndex >= 0 && r.batchIndex < l.batchIndex)
      );
    });
  }

  seek(target: MessageId | number): Promise<void> {
    return this.consumer.seek(target);
  }

  close(): Promise<void> {
    return this.consumer.close();
  }
}
