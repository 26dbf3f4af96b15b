// Mutation fuzzing on top of fast-check: a valid sample, then a few edits of the kinds that
// break length-prefixed formats (flipped bits, bytes set to boundary values, cuts, inserted
// or repeated slices, a 4- or 8-byte length overwritten with a huge one). fast-check picks
// the sample and the edits, so a failure shrinks to a small edit of a known-good input.
import fc from 'fast-check';

type Edit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'drop'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'repeat'; at: number; length: number; times: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'varint'; at: number; value: bigint };

/** Values that sit on a boundary of some length or count field. */
const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const BOUNDARY_U32 = [0, 1, 0x7f, 0x80, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

const position = fc.nat({ max: 1 << 20 });

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: position,
    value: fc.oneof(fc.constantFrom(...BOUNDARY_BYTES), fc.nat({ max: 255 })),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: position }),
  fc.record({ kind: fc.constant('drop' as const), at: position, length: fc.nat({ max: 16 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: position,
    length: fc.integer({ min: 1, max: 32 }),
    times: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant('u32' as const),
    at: position,
    value: fc.oneof(fc.constantFrom(...BOUNDARY_U32), fc.nat()),
  }),
  fc.record({
    kind: fc.constant('varint' as const),
    at: position,
    value: fc.oneof(
      fc.constantFrom(0n, 1n, 127n, 128n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n - 1n),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    ),
  }),
);

function zigzagVarint(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}

function apply(sample: Uint8Array, edits: readonly Edit[]): Buffer {
  let b = Buffer.from(sample);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + 1);
    switch (e.kind) {
      case 'flip':
        if (at < b.length) b[at]! ^= 1 << e.bit;
        break;
      case 'set':
        if (at < b.length) b[at] = e.value;
        break;
      case 'cut':
        b = b.subarray(0, at);
        break;
      case 'drop':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.length)]);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
        break;
      case 'repeat': {
        const slice = b.subarray(at, at + e.length);
        const copies = Array.from({ length: e.times }, () => slice);
        b = Buffer.concat([b.subarray(0, at), ...copies, b.subarray(at)]);
        break;
      }
      case 'u32':
        if (at + 4 <= b.length) b.writeUInt32BE(e.value >>> 0, at);
        break;
      case 'varint': {
        const bytes = zigzagVarint(e.value);
        b = Buffer.concat([b.subarray(0, at), Buffer.from(bytes), b.subarray(at + bytes.length)]);
        break;
      }
    }
  }
  return b;
}

/** A sample from `samples`, edited 1 to 6 times. */
export function mutated(samples: readonly Uint8Array[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(edit, { minLength: 1, maxLength: 6 }))
    .map(([sample, edits]) => apply(sample, edits));
}

/** Random bytes, mutated samples, and the samples themselves (which must decode). */
export function bytesFor(samples: readonly Uint8Array[], maxLength = 512): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength }).map((u) => Buffer.from(u)) },
    { weight: 4, arbitrary: mutated(samples) },
    { weight: 1, arbitrary: fc.constantFrom(...samples).map((s) => Buffer.from(s)) },
  );
}
