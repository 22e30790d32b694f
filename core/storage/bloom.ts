import { fmix32, murmur3_32 } from '../ring/hash';

/**
 * A Bloom filter per SSTable: a get for a key the table does not hold skips the table without reading a block
 * ~99 % of the time at 10 bits/key.
 *
 * k = round(bitsPerKey × ln 2) probes (7 at 10 bits/key). Since format 3 the filter is *blocked* (Putze,
 * Sanders, Singler, "Cache-, hash- and space-efficient Bloom filters"; RocksDB's format_version 5 filters do
 * the same): the key's hash picks one 512-bit block — one 64-byte cache line — and all k probes fall inside
 * it. A classic filter spreads its k probes over the whole table's filter (~250 KB per 200 K keys), so a get
 * for a key that is present paid k cache misses, ~0.3 µs of a ~6 µs point read; now it pays one. The price is
 * a slightly higher false-positive rate at the same size (blocks fill unevenly, Poisson around 512/b keys):
 * 0.96 % instead of 0.82 % at 10 bits/key (reports/capacity-model.ts has both formulas; the measured rate is
 * checked against the blocked one).
 *
 * The block comes from the high bits of h1·blocks (a multiply-shift range reduction); each bit inside it from
 * the top nine bits of a remix h2 of the MurmurHash3 h1, multiplied by the golden ratio between probes (as
 * RocksDB's FastLocalBloom does). Double hashing (h2 + i·d mod 512) measured 1.11 % here: too few distinct
 * probe patterns in a 512-bit block.
 *
 * Serialized form: flags+k u8 | bit array. Blocked: 0x80 | k, then blocks × 64 bytes. Classic (tables
 * written before the change, still read): k, then ceil(m/8) bytes with probes h1 + i·h2 mod m.
 */
export function bloomHash(key: Uint8Array): number {
  // The ring's MurmurHash3 x86_32 with the bloom filter's own seed (part of the on-disk format).
  return murmur3_32(key, BLOOM_HASH_SEED);
}

const BLOOM_HASH_SEED = 0xbc9f1d34;

export function probesFor(bitsPerKey: number): number {
  return Math.max(1, Math.min(30, Math.round(bitsPerKey * Math.LN2)));
}

const BLOCKED = 0x80;
const BLOCK_BITS = 512; // 2^9: a probe is the top 9 bits of a 32-bit hash
const BLOCK_BYTES = BLOCK_BITS / 8;

/** The 64-byte block of a blocked filter with `blocks` blocks that hash h1 selects: ⌊h1 · blocks / 2^32⌋. */
function blockOf(h1: number, blocks: number): number {
  return Math.floor((h1 * blocks) / 0x1_0000_0000);
}

/**
 * Builds a filter from the hashes of a table's keys: blocked, or (`blocked` false) the classic layout that
 * tables written before format 3's blocked filters carry — kept so tests can write such tables and check that
 * they still read.
 */
export function buildBloom(hashes: readonly number[], bitsPerKey: number, blocked = true): Uint8Array {
  const k = probesFor(bitsPerKey);
  if (!blocked) return buildClassicBloom(hashes, bitsPerKey, k);
  const blocks = Math.max(1, Math.ceil((hashes.length * bitsPerKey) / BLOCK_BITS));
  const out = new Uint8Array(1 + blocks * BLOCK_BYTES);
  out[0] = BLOCKED | k;
  for (const h1 of hashes) {
    const base = 1 + blockOf(h1, blocks) * BLOCK_BYTES;
    let h = firstBlockProbe(h1);
    for (let i = 0; i < k; i++) {
      const bit = h >>> 23;
      out[base + (bit >>> 3)]! |= 1 << (bit & 7);
      h = nextBlockProbe(h);
    }
  }
  return out;
}

/**
 * The probe sequence inside a blocked filter's 64-byte block, shared by building and querying: each probe's
 * top 9 bits pick the bit; the next comes from a golden-ratio multiply (double hashing measured 1.11 % false
 * positives here, this 0.95 %).
 */
function firstBlockProbe(h1: number): number {
  return fmix32(h1 ^ 0x9e3779b9);
}

function nextBlockProbe(h: number): number {
  return Math.imul(h, 0x9e3779b9) >>> 0;
}

function buildClassicBloom(hashes: readonly number[], bitsPerKey: number, k: number): Uint8Array {
  const bytes = Math.ceil(Math.max(64, Math.ceil(hashes.length * bitsPerKey)) / 8);
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
  private readonly blocked: boolean;
  /** Blocked: the number of 64-byte blocks. Classic: the number of bits. */
  private readonly size: number;

  constructor(private readonly data: Uint8Array) {
    const head = data[0] ?? 0;
    this.blocked = (head & BLOCKED) !== 0;
    this.k = head & ~BLOCKED;
    this.size = this.blocked ? Math.floor((data.length - 1) / BLOCK_BYTES) : (data.length - 1) * 8;
  }

  /** False when the serialized form is impossible (the caller reports it as corruption). */
  get wellFormed(): boolean {
    if (this.k < 1 || this.k > 30) return false;
    return this.blocked ? this.size >= 1 && (this.data.length - 1) % BLOCK_BYTES === 0 : this.size >= 64;
  }

  mayContain(key: Uint8Array): boolean {
    return this.mayContainHash(bloomHash(key));
  }

  mayContainHash(h1: number): boolean {
    const data = this.data;
    if (this.blocked) {
      const base = 1 + blockOf(h1, this.size) * BLOCK_BYTES;
      let h = firstBlockProbe(h1);
      for (let i = 0; i < this.k; i++) {
        const bit = h >>> 23;
        if ((data[base + (bit >>> 3)]! & (1 << (bit & 7))) === 0) return false;
        h = nextBlockProbe(h);
      }
      return true;
    }
    const h2 = fmix32(h1 ^ 0x9e3779b9) | 1;
    let h = h1;
    const m = this.size;
    for (let i = 0; i < this.k; i++) {
      const bit = h % m;
      if ((data[1 + (bit >>> 3)]! & (1 << (bit & 7))) === 0) return false;
      h = (h + h2) >>> 0;
    }
    return true;
  }
}
