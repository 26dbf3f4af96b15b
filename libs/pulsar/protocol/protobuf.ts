// A small schema-driven proto2 codec. Pulsar's wire messages are described as data
// (MessageSpec tables in commands.ts) and encoded/decoded by the two generic functions
// below, so adding a field is one line and the property tests cover every message alike.

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export type ScalarType =
  'uint32' | 'int32' | 'uint64' | 'int64' | 'bool' | 'enum' | 'string' | 'bytes' | 'double';

export interface FieldSpec {
  readonly no: number;
  readonly name: string;
  /** A scalar type, or a thunk returning the nested message spec (thunks allow recursion). */
  readonly type: ScalarType | (() => MessageSpec);
  readonly rule: 'required' | 'optional' | 'repeated';
}

export interface MessageSpec {
  readonly name: string;
  readonly fields: readonly FieldSpec[];
}

/** A decoded or to-be-encoded message: field name → value (arrays for repeated fields). */
export type ProtoObject = { [field: string]: unknown };

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

const UINT64_MASK = (1n << 64n) - 1n;

export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned varint of a non-negative integer up to 2^53. */
  varint(value: number): void {
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** Varint of a 64-bit value given as bigint; negative values are written two's complement. */
  varint64(value: bigint): void {
    let v = value & UINT64_MASK;
    if (v <= 0x1fffffffffffffn) {
      this.varint(Number(v));
      return;
    }
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  /** int32 per protobuf: negative values are sign-extended to 64 bits (10 bytes). */
  int32(value: number): void {
    if (value >= 0) this.varint(value);
    else this.varint64(BigInt(value));
  }

  key(fieldNo: number, wireType: number): void {
    this.varint(fieldNo * 8 + wireType);
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  string(value: string): void {
    if (value.length <= 42) {
      // At most 126 UTF-8 bytes: a one-byte length, filled in after writing (one pass).
      this.ensure(1 + value.length * 3);
      const at = this.pos++;
      const n = this.buf.write(value, this.pos, 'utf8');
      this.buf[at] = n;
      this.pos += n;
      return;
    }
    const len = Buffer.byteLength(value, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.buf.write(value, this.pos, len, 'utf8');
    this.pos += len;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** Raw bytes, no length prefix. */
  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** Skips four bytes for a big-endian u32 written later with setUInt32BE; returns where. */
  reserveUInt32(): number {
    this.ensure(4);
    this.pos += 4;
    return this.pos - 4;
  }

  setUInt32BE(at: number, value: number): void {
    this.buf.writeUInt32BE(value, at);
  }

  get length(): number {
    return this.pos;
  }

  /** Forget what was written, keeping the buffer for reuse. */
  reset(): void {
    this.pos = 0;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of what was written (for a Writer that is reused). */
  copy(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }
}

export class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) {
      throw new ProtocolError(`truncated protobuf: ${what} runs past the end of the message`);
    }
  }

  /** Low 32 bits of a varint (the rest of a 10-byte varint is consumed and dropped). */
  varint32(): number {
    let result = 0;
    for (let i = 0; i < 10; i++) {
      this.need(1, 'varint');
      const b = this.buf[this.pos++]!;
      if (i < 5) result |= (b & 0x7f) << (7 * i);
      if (b < 0x80) return result;
    }
    throw new ProtocolError('malformed protobuf: varint longer than 10 bytes');
  }

  /** A full 64-bit varint as an unsigned bigint. */
  varint64(): bigint {
    let low = 0;
    let mul = 1;
    // Fast path: the first 7 groups (49 bits) fit exactly in a double.
    for (let i = 0; i < 7; i++) {
      this.need(1, 'varint');
      const b = this.buf[this.pos++]!;
      low += (b & 0x7f) * mul;
      if (b < 0x80) return BigInt(low);
      mul *= 0x80;
    }
    let result = BigInt(low);
    let shift = 49n;
    for (let i = 7; i < 10; i++) {
      this.need(1, 'varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result & UINT64_MASK;
      shift += 7n;
    }
    throw new ProtocolError('malformed protobuf: varint longer than 10 bytes');
  }

  /**
   * A 64-bit varint as a number: exact below 2^53, rounded above (for values such as
   * millisecond times, where a bigint would only be converted back).
   */
  varintNumber(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      this.need(1, 'varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
    throw new ProtocolError('malformed protobuf: varint longer than 10 bytes');
  }

  lengthDelimited(): [start: number, end: number] {
    const len = this.varint32() >>> 0;
    this.need(len, 'length-delimited field');
    const start = this.pos;
    this.pos += len;
    return [start, this.pos];
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64();
        return;
      case WIRE_FIXED64:
        this.need(8, 'fixed64');
        this.pos += 8;
        return;
      case WIRE_LENGTH:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        this.need(4, 'fixed32');
        this.pos += 4;
        return;
      default:
        throw new ProtocolError(`malformed protobuf: unsupported wire type ${wireType}`);
    }
  }
}

function wireTypeOf(type: FieldSpec['type']): number {
  if (typeof type === 'function') return WIRE_LENGTH;
  switch (type) {
    case 'string':
    case 'bytes':
      return WIRE_LENGTH;
    case 'double':
      return WIRE_FIXED64;
    default:
      return WIRE_VARINT;
  }
}

function wrongType(field: FieldSpec, expected: string, value: unknown): never {
  throw new TypeError(`${field.name}: expected ${expected}, got ${typeof value}`);
}

function writeValue(w: Writer, field: FieldSpec, value: unknown): void {
  const type = field.type;
  if (typeof type === 'function') {
    if (typeof value !== 'object' || value === null) return wrongType(field, 'object', value);
    w.key(field.no, WIRE_LENGTH);
    w.bytes(encodeMessage(type(), value as ProtoObject));
    return;
  }
  w.key(field.no, wireTypeOf(type));
  switch (type) {
    case 'uint32':
    case 'enum':
      if (typeof value !== 'number') return wrongType(field, 'number', value);
      if (type === 'enum') w.int32(value);
      else w.varint(value >>> 0);
      return;
    case 'int32':
      if (typeof value !== 'number') return wrongType(field, 'number', value);
      w.int32(value | 0);
      return;
    case 'uint64':
    case 'int64':
      if (typeof value === 'bigint') w.varint64(value);
      else if (typeof value === 'number' && Number.isInteger(value)) w.varint64(BigInt(value));
      else wrongType(field, 'bigint', value);
      return;
    case 'bool':
      if (typeof value !== 'boolean') return wrongType(field, 'boolean', value);
      w.varint(value ? 1 : 0);
      return;
    case 'string':
      if (typeof value !== 'string') return wrongType(field, 'string', value);
      w.string(value);
      return;
    case 'bytes':
      if (!(value instanceof Uint8Array)) return wrongType(field, 'Buffer', value);
      w.bytes(value);
      return;
    case 'double':
      if (typeof value !== 'number') return wrongType(field, 'number', value);
      w.double(value);
      return;
  }
}

/** Encodes a message. Required fields must be present (proto2 rejects messages without them). */
export function encodeMessage(spec: MessageSpec, value: ProtoObject): Buffer {
  const w = new Writer();
  for (const field of spec.fields) {
    const v = value[field.name];
    if (v === undefined || v === null) {
      if (field.rule === 'required') {
        throw new TypeError(`${spec.name}.${field.name} is required but missing`);
      }
      continue;
    }
    if (field.rule === 'repeated') {
      if (!Array.isArray(v)) throw new TypeError(`${spec.name}.${field.name} must be an array`);
      for (const item of v) writeValue(w, field, item);
    } else {
      writeValue(w, field, v);
    }
  }
  return w.finish();
}

function readScalar(r: Reader, type: ScalarType): unknown {
  switch (type) {
    case 'uint32':
      return r.varint32() >>> 0;
    case 'int32':
    case 'enum':
      return r.varint32() | 0;
    case 'uint64':
      return r.varint64();
    case 'int64':
      return BigInt.asIntN(64, r.varint64());
    case 'bool':
      return r.varint64() !== 0n;
    case 'string': {
      const [s, e] = r.lengthDelimited();
      return r.buf.toString('utf8', s, e);
    }
    case 'bytes': {
      const [s, e] = r.lengthDelimited();
      return r.buf.subarray(s, e);
    }
    case 'double': {
      if (r.pos + 8 > r.end) throw new ProtocolError('truncated protobuf: double');
      const v = r.buf.readDoubleLE(r.pos);
      r.pos += 8;
      return v;
    }
  }
}

const fieldIndex = new WeakMap<MessageSpec, Map<number, FieldSpec>>();

function indexOf(spec: MessageSpec): Map<number, FieldSpec> {
  let index = fieldIndex.get(spec);
  if (!index) {
    index = new Map(spec.fields.map((f) => [f.no, f]));
    fieldIndex.set(spec, index);
  }
  return index;
}

const MAX_DEPTH = 16;

/**
 * Decodes a message from buf[start, end). Unknown fields are skipped; a missing required
 * field, a wrong wire type or truncated data raise ProtocolError (never a crash or a hang).
 */
export function decodeMessage(
  spec: MessageSpec,
  buf: Buffer,
  start = 0,
  end = buf.length,
  depth = 0,
): ProtoObject {
  if (depth > MAX_DEPTH) throw new ProtocolError('malformed protobuf: nesting too deep');
  const index = indexOf(spec);
  const out: ProtoObject = {};
  for (const f of spec.fields) if (f.rule === 'repeated') out[f.name] = [];
  const r = new Reader(buf, start, end);
  while (r.pos < end) {
    const key = r.varint32() >>> 0;
    const no = key >>> 3;
    const wireType = key & 7;
    if (no === 0) throw new ProtocolError(`malformed protobuf in ${spec.name}: field number 0`);
    const field = index.get(no);
    if (!field) {
      r.skip(wireType);
      continue;
    }
    const expected = wireTypeOf(field.type);
    const repeated = field.rule === 'repeated';
    if (wireType !== expected) {
      // Packed encoding of a repeated scalar: one length-delimited run of values.
      if (repeated && wireType === WIRE_LENGTH && typeof field.type !== 'function') {
        const [s, e] = r.lengthDelimited();
        const inner = new Reader(buf, s, e);
        const list = out[field.name] as unknown[];
        while (inner.pos < e) list.push(readScalar(inner, field.type));
        continue;
      }
      throw new ProtocolError(
        `malformed protobuf in ${spec.name}.${field.name}: wire type ${wireType}, expected ${expected}`,
      );
    }
    let value: unknown;
    if (typeof field.type === 'function') {
      const [s, e] = r.lengthDelimited();
      value = decodeMessage(field.type(), buf, s, e, depth + 1);
    } else {
      value = readScalar(r, field.type);
    }
    if (repeated) (out[field.name] as unknown[]).push(value);
    else out[field.name] = value;
  }
  if (r.pos !== end) throw new ProtocolError(`malformed protobuf in ${spec.name}: overran its end`);
  for (const f of spec.fields) {
    if (f.rule === 'required' && out[f.name] === undefined) {
      throw new ProtocolError(`malformed ${spec.name}: required field ${f.name} is missing`);
    }
  }
  return out;
}
