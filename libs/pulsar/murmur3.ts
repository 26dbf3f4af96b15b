// Key → partition routing compatible with the Java client: Murmur3_32Hash (x86 32-bit, seed 0,
// over the key's UTF-8 bytes, masked to a non-negative int) then signSafeMod(hash, n).
// JavaStringHash (String.hashCode) is provided too, as the Java client's other scheme.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3 x86_32; returns the unsigned 32-bit hash. */
export function murmur3_32(data: Uint8Array, seed = 0): number {
  const n = data.length;
  const blocks = n & ~3;
  let h = seed | 0;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= data[blocks + 2]! << 16;
    if (tail >= 2) k ^= data[blocks + 1]! << 8;
    k ^= data[blocks]!;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The Java client's Murmur3_32Hash.makeHash: murmur3 of the UTF-8 key, sign bit cleared. */
export function murmur3KeyHash(key: string | Uint8Array): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return murmur3_32(bytes) & 0x7fffffff;
}

/** Java's String.hashCode over UTF-16 code units, sign bit cleared (JavaStringHash). */
export function javaStringHash(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return h & 0x7fffffff;
}

/** A modulo that is never negative (MathUtils.signSafeMod). */
export function signSafeMod(dividend: number, divisor: number): number {
  const mod = dividend % divisor;
  return mod < 0 ? mod + divisor : mod;
}

export type HashingScheme = 'murmur3' | 'java-string';

export function partitionForKey(
  key: string,
  numPartitions: number,
  scheme: HashingScheme = 'murmur3',
): number {
  const hash = scheme === 'murmur3' ? murmur3KeyHash(key) : javaStringHash(key);
  return signSafeMod(hash, numPartitions);
}
