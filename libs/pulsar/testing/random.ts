// Seeded randomness for property tests (mulberry32), so a failure can be replayed by seed.
import type { FieldSpec, MessageSpec, ProtoObject } from '../protocol/protobuf.ts';

export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  bool(): boolean {
    return this.next() < 0.5;
  }

  uint32(): number {
    return (this.next() * 4294967296) >>> 0;
  }

  uint64(): bigint {
    // Mix small and huge values so both varint paths are exercised.
    if (this.bool()) return BigInt(this.int(1 << 20));
    return (BigInt(this.uint32()) << 32n) | BigInt(this.uint32());
  }

  bytes(maxLen: number): Buffer {
    const out = Buffer.allocUnsafe(this.int(maxLen + 1));
    for (let i = 0; i < out.length; i++) out[i] = this.int(256);
    return out;
  }

  string(maxLen: number): string {
    const alphabet = ['a', 'Z', '0', '-', '/', ' ', 'é', 'ß', '漢', '😀'];
    let s = '';
    const n = this.int(maxLen + 1);
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

function randomValue(rnd: Random, field: FieldSpec, depth: number): unknown {
  const t = field.type;
  if (typeof t === 'function') return randomMessage(rnd, t(), depth + 1);
  switch (t) {
    case 'uint32':
      return rnd.uint32();
    case 'int32':
    case 'enum':
      return rnd.uint32() | 0;
    case 'uint64':
      return rnd.uint64();
    case 'int64':
      return BigInt.asIntN(64, rnd.uint64());
    case 'bool':
      return rnd.bool();
    case 'string':
      return rnd.string(12);
    case 'bytes':
      return rnd.bytes(16);
    case 'double':
      return rnd.next() * 1e6;
  }
}

/** A random value of a message: required fields always, optional ones half the time. */
export function randomMessage(rnd: Random, spec: MessageSpec, depth = 0): ProtoObject {
  const out: ProtoObject = {};
  for (const f of spec.fields) {
    const isMessage = typeof f.type === 'function';
    if (f.rule === 'repeated') {
      const n = isMessage && depth > 2 ? 0 : rnd.int(4);
      out[f.name] = Array.from({ length: n }, () => randomValue(rnd, f, depth));
    } else if (f.rule === 'required' || (rnd.bool() && !(isMessage && depth > 2))) {
      out[f.name] = randomValue(rnd, f, depth);
    }
  }
  return out;
}
