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

  /**
   * Orders two serialized ids (serialize()) exactly as compare() orders the parsed ones, but
   * without parsing them: the stages compare a position per message, and parsing (two bigints
   * and an object each) showed in their profiles. Ids too long for this fast path, and
   * malformed ones, go through parse() (which names what is wrong).
   */
  static compareSerialized(a: string, b: string): -1 | 0 | 1 {
    let pa = 0;
    let pb = 0;
    let order: -1 | 0 | 1 = 0;
    // Every field of both is read, even after the first difference: a malformed id must be
    // refused whatever it is compared with.
    for (let field = 0; field < 5; field++) {
      const va = readField(a, pa, field);
      pa = fieldEnd;
      const vb = readField(b, pb, field);
      pb = fieldEnd;
      if (Number.isNaN(va) || Number.isNaN(vb)) {
        return MessageId.parse(a).compare(MessageId.parse(b));
      }
      // The fifth field is the batch size: validated, not compared (as in compare()).
      if (order === 0 && field < 4 && va !== vb) order = va < vb ? -1 : 1;
    }
    if (pa !== a.length || pb !== b.length) return MessageId.parse(a).compare(MessageId.parse(b));
    return order;
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

/** Where the field readField last read ends (a module scratch, so reading allocates nothing). */
let fieldEnd = 0;

/**
 * Reads field `field` of a serialized id starting at `pos` (just after its ':' separator, or
 * 0): its value, with fieldEnd set past it and its trailing ':'. A missing optional field
 * reads as its default (-1 for partition and batch index, 0 for batch size). NaN for a
 * malformed field or one of more than 15 digits (not exact as a double).
 */
function readField(s: string, pos: number, field: number): number {
  if (pos >= s.length) {
    fieldEnd = pos;
    return field < 2 ? Number.NaN : field === 4 ? 0 : -1;
  }
  let i = pos;
  const negative = s.charCodeAt(i) === 45; // '-'
  if (negative) i++;
  const first = i;
  let value = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
  }
  const digits = i - first;
  if (digits === 0 || digits > 15) return Number.NaN;
  if (i < s.length) {
    if (s.charCodeAt(i) !== 58 || i === s.length - 1 || field === 4) return Number.NaN; // ':'
    i++;
  }
  fieldEnd = i;
  return negative ? -value : value;
}
