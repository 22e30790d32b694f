import { fmix32, murmur3_32 } from '../ring/hash';

/**
 * A Bloom filter per SSTable: a get for a key the table does not hold skips the table without reading a block
 * ~99 % of the time at 10 bits/key.
 *
 * k = round(bitsPerKey × ln 2) probes (7 at 10 bits/key, the optimum, ≈ 0.8 % false positives in theory).
 * Probe positions use double hashing (Kirsch–Mitzenmacher): h1 + i·h2, with h1 a MurmurHash3 of the key and
 * h2 an independent remix of it, which keeps the measured rate close to theory.
 *
 * Serialized form: k u8 | bit array (ceil(m/8) bytes); m is implied by the length.
 */
export function bloomHash(key: Uint8Array): number {
  // The ring's MurmurHash3 x86_32 with the bloom filter's own seed (part of the on-disk format).
  return murmur3_32(key, BLOOM_HASH_SEED);
}

const BLOOM_HASH_SEED = 0xbc9f1d34;

export function probesFor(bitsPerKey: number): number {
  return Math.max(1, Math.min(30, Math.round(bitsPerKey * Math.LN2)));
}

/** Builds a filter from the hashes of a table's keys. */
export function buildBloom(hashes: readonly number[], bitsPerKey: number): Uint8Array {
  const k = probesFor(bitsPerKey);
  const bits = Math.max(64, Math.ceil(hashes.length * bitsPerKey));
  const bytes = Math.ceil(bits / 8);
  const m = bytes * 8;
  const out = new Uint8Array(1 + bytes);
  out[0] = k;
  for (const h1 of hashes) {
    const h2 = fmix32(h1 ^ 0x9e3779b9) | 1;
    let h = h1;
    for (let i = 0; i < k; i++) {
      const bit = h % m;
      out[1 + (bit >>> 3)]! |= 1 << (bit & 7);
      h = (h + h2) >>> 0;
    }
  }
  return out;
}

/** A decoded filter. `mayContain` false means the key is certainly absent. */
export class BloomFilter {
  private readonly k: number;
  private readonly m: number;

  constructor(private readonly data: Uint8Array) {
    this.k = data[0] ?? 0;
    this.m = (data.length - 1) * 8;
  }

  /** False when the serialized form is impossible (the caller reports it as corruption). */
  get wellFormed(): boolean {
    return this.k >= 1 && this.k <= 30 && this.m >= 64;
  }

  mayContain(key: Uint8Array): boolean {
    return this.mayContainHash(bloomHash(key));
  }

  mayContainHash(h1: number): boolean {
    const h2 = fmix32(h1 ^ 0x9e3779b9) | 1;
    let h = h1;
    const m = this.m;
    for (let i = 0; i < this.k; i++) {
      const bit = h % m;
      if ((this.data[1 + (bit >>> 3)]! & (1 << (bit & 7))) === 0) return false;
      h = (h + h2) >>> 0;
    }
    return true;
  }
}
