// The byte-level primitives of the envelope formats (envelopes.ts): little-endian float64,
// unsigned LEB128 varints and length-prefixed UTF-8 strings. The writer grows one buffer and
// is reused batch after batch; the reader checks every length against the bytes left, so a
// truncated or foreign payload is refused with ChannelFormatError instead of misread.
import { ChannelFormatError } from './errors.ts';

export class BinaryWriter {
  private buf: Buffer;
  private view: DataView;
  private pos = 0;

  /** `initialBytes`: the buffer grows by doubling; a reused writer keeps its size. */
  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafe(initialBytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Starts a new payload, keeping the buffer. */
  reset(): void {
    this.pos = 0;
  }

  get length(): number {
    return this.pos;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  u8(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  f64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** A non-negative safe integer, 7 bits a byte (1 byte below 128). */
  varint(value: number): void {
    this.ensure(8);
    while (value >= 0x80) {
      this.buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.pos++] = value;
  }

  string(value: string): void {
    // At most 3 bytes per UTF-16 unit; the real length is written after the bytes.
    const max = value.length * 3;
    this.ensure(max + 5);
    const lenAt = this.pos;
    const lenBytes = max < 0x80 ? 1 : max < 0x4000 ? 2 : max < 0x200000 ? 3 : 5;
    const written = this.buf.write(value, lenAt + lenBytes, 'utf8');
    // A fixed-width varint (continuation bits on padding bytes) so the bytes need no move.
    let n = written;
    for (let i = 0; i < lenBytes; i++) {
      this.buf[lenAt + i] = (n % 0x80) | (i < lenBytes - 1 ? 0x80 : 0);
      n = Math.floor(n / 0x80);
    }
    this.pos = lenAt + lenBytes + written;
  }

  /** A copy of what was written since reset(). */
  finish(): Buffer {
    return Buffer.from(this.written());
  }

  /** What was written since reset(), without a copy: valid until the next write or reset. */
  written(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class BinaryReader {
  private readonly view: DataView;
  private readonly buf: Buffer;
  pos = 0;

  constructor(
    bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** A ChannelFormatError that names what is being read. */
  error(problem: string): ChannelFormatError {
    return new ChannelFormatError(`${this.what} ${problem}`);
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.buf.length) {
      throw new ChannelFormatError(
        `${this.what} is truncated: needs ${bytes} more bytes at offset ${this.pos} of ${this.buf.length}`,
      );
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
    }
    throw new ChannelFormatError(`${this.what} has a varint longer than 8 bytes at ${this.pos}`);
  }

  /** A count of items that each take at least `minBytes`: refused when it cannot fit. */
  count(minBytes: number, of: string): number {
    const n = this.varint();
    if (n * minBytes > this.remaining) {
      throw new ChannelFormatError(
        `${this.what} claims ${n} ${of} but has only ${this.remaining} bytes left`,
      );
    }
    return n;
  }

  string(): string {
    const len = this.varint();
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  end(): void {
    if (this.pos !== this.buf.length) {
      throw new ChannelFormatError(
        `${this.what} has ${this.buf.length - this.pos} unexpected bytes after its end`,
      );
    }
  }
}

/**
 * The string table of an envelope: each distinct string is written once, in the header, and
 * referred to by its index (one byte for the first 128) wherever it occurs.
 */
export class StringTable {
  private readonly index = new Map<string, number>();

  /** Writes the index of `s` into `body`, adding `s` to the table when it is new. */
  ref(body: BinaryWriter, s: string): void {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.index.size;
      this.index.set(s, i);
    }
    body.varint(i);
  }

  /** Writes the table: its size, then each string. */
  write(head: BinaryWriter): void {
    head.varint(this.index.size);
    for (const s of this.index.keys()) head.string(s);
  }

  clear(): void {
    this.index.clear();
  }

  /** Reads a table written by write(); `lookup` then resolves an index read from `r`. */
  static read(r: BinaryReader): { lookup: () => string } {
    const n = r.count(1, 'strings');
    const table = new Array<string>(n);
    for (let i = 0; i < n; i++) table[i] = r.string();
    return {
      lookup: () => {
        const i = r.varint();
        const s = table[i];
        if (s === undefined) throw r.error(`refers to string ${i} of ${n}`);
        return s;
      },
    };
  }
}
