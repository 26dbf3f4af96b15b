// Message positions. ledgerId/entryId are signed 64-bit like the Java client's longs, so the
// earliest marker is -1:-1 and latest is Long.MAX:Long.MAX. A message inside a batched entry
// carries its batchIndex (0-based) and the batch's size.
import { MessageIdDataSpec, type MessageIdData } from './protocol/commands.ts';
import { decodeMessage, encodeMessage, type ProtoObject } from './protocol/protobuf.ts';

const INT64_MAX = (1n << 63n) - 1n;

/** `ledger:entry[:partition[:batchIndex[:batchSize]]]`, each an integer. */
const SERIALIZED = /^-?\d+(?::-?\d+){1,4}$/;

export class MessageId {
  static readonly earliest = new MessageId(-1n, -1n);
  static readonly latest = new MessageId(INT64_MAX, INT64_MAX);

  constructor(
    readonly ledgerId: bigint,
    readonly entryId: bigint,
    readonly partition = -1,
    readonly batchIndex = -1,
    readonly batchSize = 0,
  ) {}

  static fromData(data: MessageIdData, partition?: number): MessageId {
    return new MessageId(
      BigInt.asIntN(64, data.ledgerId),
      BigInt.asIntN(64, data.entryId),
      partition ?? data.partition ?? -1,
      data.batch_index ?? -1,
      data.batch_size ?? 0,
    );
  }

  toData(): MessageIdData {
    const data: MessageIdData = { ledgerId: this.ledgerId, entryId: this.entryId };
    if (this.partition >= 0) data.partition = this.partition;
    if (this.batchIndex >= 0) data.batch_index = this.batchIndex;
    if (this.batchSize > 0) data.batch_size = this.batchSize;
    return data;
  }

  /** Same entry (ledger, entry, partition), ignoring the batch index. */
  sameEntry(other: MessageId): boolean {
    return (
      this.ledgerId === other.ledgerId &&
      this.entryId === other.entryId &&
      this.partition === other.partition
    );
  }

  /** The id of the whole entry this message belongs to. */
  entry(): MessageId {
    return this.batchIndex < 0 ? this : new MessageId(this.ledgerId, this.entryId, this.partition);
  }

  isBatched(): boolean {
    return this.batchIndex >= 0;
  }

  /** Orders by ledger, entry, partition, then batch index (a whole entry sorts first). */
  compare(other: MessageId): -1 | 0 | 1 {
    // Field by field without allocating: the stages compare positions once per message.
    if (this.ledgerId !== other.ledgerId) return this.ledgerId < other.ledgerId ? -1 : 1;
    if (this.entryId !== other.entryId) return this.entryId < other.entryId ? -1 : 1;
    if (this.partition !== other.partition) return this.partition < other.partition ? -1 : 1;
    if (this.batchIndex !== other.batchIndex) return this.batchIndex < other.batchIndex ? -1 : 1;
    return 0;
  }

  equals(other: MessageId): boolean {
    return this.compare(other) === 0;
  }

  /** Compact text form `ledger:entry:partition:batchIndex:batchSize`. */
  serialize(): string {
    return `${this.ledgerId}:${this.entryId}:${this.partition}:${this.batchIndex}:${this.batchSize}`;
  }

  /** Binary form: a MessageIdData protobuf, as the Java client's toByteArray writes. */
  toBuffer(): Buffer {
    return encodeMessage(MessageIdDataSpec, this.toData() as unknown as ProtoObject);
  }

  toString(): string {
    return this.serialize();
  }

  static parse(input: string | Buffer): MessageId {
    if (typeof input !== 'string') {
      return MessageId.fromData(
        decodeMessage(MessageIdDataSpec, input) as unknown as MessageIdData,
      );
    }
    if (!SERIALIZED.test(input)) {
      throw new TypeError(
        `cannot parse message id "${input}": expected ledger:entry[:partition[:batchIndex[:batchSize]]]`,
      );
    }
    const [l, e, p = '-1', b = '-1', s = '0'] = input.split(':') as [string, string, ...string[]];
    return new MessageId(BigInt(l), BigInt(e), Number(p), Number(b), Number(s));
  }
}
