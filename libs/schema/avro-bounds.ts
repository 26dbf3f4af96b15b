/**
 * Bounds check of AVRO bytes against a writer schema, before avsc decodes them. avsc trusts
 * the counts it reads: an array block of 10^8 items makes it allocate `new Array(10^8)`, and
 * one of 2^60 `null` items (zero bytes each) loops for ever. Writer schemas come from the
 * schema registry, i.e. from whoever can publish, so a message must prove that every length
 * and count fits in the bytes it has before anything is allocated on its word:
 * - string, bytes and fixed lengths at most the bytes left;
 * - array and map items at most one per byte of the whole message (counted over all blocks,
 *   so zero-byte items are bounded too), a block's byte size (negative count) equal to
 *   what its items take, union branches within the union;
 * - nesting at most MAX_AVRO_DEPTH (recursive schemas).
 * The walk itself does O(message bytes × schema size) work and allocates nothing.
 */
import type avsc from 'avsc';

type AvroType = InstanceType<typeof avsc.Type>;

/** Deeper nesting than this is refused (a recursive schema can nest once per byte). */
export const MAX_AVRO_DEPTH = 64;

interface TypeShape {
  typeName: string;
  fields?: readonly { type: AvroType }[];
  itemsType?: AvroType;
  valuesType?: AvroType;
  types?: readonly AvroType[];
  size?: number;
  underlyingType?: AvroType;
}

class Bounded extends Error {}

class Cursor {
  pos = 0;
  /** Array and map items still allowed (one per byte of the message). */
  itemBudget: number;

  constructor(readonly buf: Uint8Array) {
    this.itemBudget = buf.length;
  }

  fail(problem: string): never {
    throw new Bounded(`${problem} at byte ${this.pos} of ${this.buf.length}`);
  }

  skip(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      this.fail(`${what} of ${n} bytes runs past the message`);
    }
    this.pos += n;
  }

  /** A zig-zag varint long, as a double (exact enough to compare against lengths). */
  long(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) this.fail('varint runs past the message');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      scale *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }

  length(what: string): number {
    const n = this.long();
    if (n < 0 || n > this.buf.length - this.pos) {
      this.fail(`${what} length ${n} exceeds the ${this.buf.length - this.pos} bytes left`);
    }
    return n;
  }
}

/** True when avsc could be made to allocate or loop on a count: the schema has a container. */
export function hasContainers(type: AvroType, seen = new Set<AvroType>()): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  const t = type as unknown as TypeShape;
  if (t.typeName === 'array' || t.typeName === 'map') return true;
  if (t.underlyingType) return hasContainers(t.underlyingType, seen);
  if (t.fields) return t.fields.some((f) => hasContainers(f.type, seen));
  if (t.types) return t.types.some((u) => hasContainers(u, seen));
  return false;
}

function walk(type: AvroType, c: Cursor, depth: number): void {
  if (depth > MAX_AVRO_DEPTH) c.fail(`nesting deeper than ${MAX_AVRO_DEPTH}`);
  const t = type as unknown as TypeShape;
  if (t.underlyingType) return walk(t.underlyingType, c, depth);
  switch (t.typeName) {
    case 'null':
      return;
    case 'boolean':
      return c.skip(1, 'boolean');
    case 'int':
    case 'long':
    case 'enum':
      c.long();
      return;
    case 'float':
      return c.skip(4, 'float');
    case 'double':
      return c.skip(8, 'double');
    case 'string':
    case 'bytes':
      return c.skip(c.length(t.typeName), t.typeName);
    case 'fixed':
      return c.skip(t.size ?? 0, 'fixed');
    case 'record':
    case 'error':
      for (const f of t.fields ?? []) walk(f.type, c, depth + 1);
      return;
    case 'array':
    case 'map':
      return walkBlocks(t, c, depth);
    default:
      if (t.types) {
        const i = c.long();
        const branch = t.types[i];
        if (!Number.isInteger(i) || branch === undefined) {
          c.fail(`union branch ${i} of ${t.types.length}`);
        }
        return walk(branch, c, depth + 1);
      }
      return c.fail(`unsupported AVRO type ${t.typeName}`);
  }
}

function walkBlocks(t: TypeShape, c: Cursor, depth: number): void {
  for (;;) {
    let n = c.long();
    if (n === 0) return;
    // A negative count is followed by the block's size in bytes, which avsc uses to skip the
    // block without reading it: it must be exactly what the items take, or avsc would go on
    // reading from a place this walk never checked (fuzzing found a hang that way).
    const size = n < 0 ? c.length(`${t.typeName} block`) : -1;
    if (n < 0) n = -n;
    if (n > c.itemBudget) {
      c.fail(`${t.typeName} claims ${n} items; the message can hold at most ${c.itemBudget} more`);
    }
    c.itemBudget -= n;
    const start = c.pos;
    for (let i = 0; i < n; i++) {
      if (t.typeName === 'map') c.skip(c.length('map key'), 'map key');
      walk((t.itemsType ?? t.valuesType)!, c, depth + 1);
    }
    if (size >= 0 && c.pos - start !== size) {
      c.fail(`${t.typeName} block says ${size} bytes, its ${n} items take ${c.pos - start}`);
    }
  }
}

/** Why `buf` cannot be a bounded encoding of `writerType`, or undefined when it can. */
export function avroBoundsProblem(writerType: AvroType, buf: Uint8Array): string | undefined {
  const c = new Cursor(buf);
  try {
    walk(writerType, c, 0);
  } catch (err) {
    if (err instanceof Bounded) return err.message;
    throw err;
  }
  return undefined;
}
