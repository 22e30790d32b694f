/**
 * The ring's hash: MurmurHash3 x86_32 (Austin Appleby, SMHasher `MurmurHash3_x86_32`), over raw bytes.
 *
 * Why this one: it is tiny, fast in JavaScript (only 32-bit integer ops via Math.imul), specified by a public
 * reference implementation with a published verification value (0xB0F57EE3, checked in the tests), and it
 * distributes short, similar inputs ("n1#0", "n1#1", …) well — which is exactly what vnode tokens are. It is not
 * a cryptographic hash: a client that picks keys adversarially can crowd one node, as with any Dynamo ring.
 *
 * Ring positions are unsigned 32-bit integers in [0, 2^32). With 128 K tokens on a 2^32 ring a couple of token
 * collisions are expected (birthday bound); the ring tolerates them (ties are ordered by node, see tokens.ts).
 *
 * The byte order of the 4-byte blocks is little-endian, as in the reference on x86, so results match other
 * implementations (Guava's murmur3_32, the `murmurhash3js` package, …) byte for byte.
 */

/** Seed for key → ring position. Part of the on-disk/on-wire contract: changing it moves every key. */
export const KEY_HASH_SEED = 0;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3_x86_32 of `data` with `seed`; an unsigned 32-bit integer. */
export function murmur3_32(data: Uint8Array, seed = 0): number {
  const length = data.length;
  const blockEnd = length & ~3;
  let h = seed | 0;
  let i = 0;
  for (; i < blockEnd; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= data[i + 2]! << 16;
    if (tail >= 2) k ^= data[i + 1]! << 8;
    k ^= data[i]!;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  return fmix32(h ^ length);
}

/** MurmurHash3's 32-bit finalizer (avalanche): every input bit affects every output bit. Unsigned result. */
export function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The ring position of a key: MurmurHash3_x86_32(key bytes, seed 0). */
export function keyPosition(keyBytes: Uint8Array): number {
  return murmur3_32(keyBytes, KEY_HASH_SEED);
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (node ids, string keys in tests and tools). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
