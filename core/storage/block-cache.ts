/**
 * A bounded LRU of decoded SSTable data blocks, charged by block size, so hot keys are served without a disk
 * read, a checksum or a decode. A JS Map iterates in insertion order, so "delete then set" moves an entry to
 * the most-recent end and the first key is always the least recently used.
 */
export class BlockCache<T> {
  /** Keyed by a number (table file number × 2^24 + block index): cheaper than building a string per lookup. */
  private readonly map = new Map<number, { value: T; bytes: number }>();
  private used = 0;
  hits = 0;
  misses = 0;

  /**
   * Admission: block keys that missed once recently, in a direct-mapped table of twice as many slots as the
   * cache holds ~4 KiB blocks (a "doorkeeper": no data, no ordering, a collision simply forgets the older miss).
   * NaN marks an empty slot, since 0 is a valid key. See admit.
   */
  private readonly ghosts: Float64Array;
  private readonly ghostMask: number;

  constructor(readonly capacityBytes: number) {
    let slots = 16;
    while (slots < capacityBytes / 2048) slots *= 2;
    this.ghosts = new Float64Array(slots).fill(Number.NaN);
    this.ghostMask = slots - 1;
  }

  /**
   * Whether a block that just missed should be loaded into the cache: yes if it missed before within the
   * admission window (roughly the last 2 × capacity/4 KiB distinct misses), otherwise it is remembered and the
   * caller reads it without caching. Point reads spread over a store much larger than the cache would otherwise
   * evict a block per get for blocks that are never read again — an allocation, an LRU insert and an eviction
   * each, for a hit rate of capacity/store. Keys read twice are cached from their second read on (2Q's A1out
   * idea). A direct-mapped table instead of an ordered set keeps this at two array accesses: it runs on every
   * miss, and with an ordered set it cost ~0.5 µs of a ~6 µs point read.
   */
  admit(key: number): boolean {
    if (this.capacityBytes === 0) return false;
    const fileNumber = Math.floor(key / BLOCKS_PER_TABLE);
    const mixed = Math.imul((key - fileNumber * BLOCKS_PER_TABLE) ^ Math.imul(fileNumber, 0x9e3779b1), 0x85ebca6b);
    const i = (mixed ^ (mixed >>> 15)) & this.ghostMask;
    if (this.ghosts[i] === key) {
      this.ghosts[i] = Number.NaN;
      return true;
    }
    this.ghosts[i] = key;
    return false;
  }

  get(key: number): T | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, slot);
    return slot.value;
  }

  set(key: number, value: T, bytes: number): void {
    if (bytes > this.capacityBytes) return;
    const old = this.map.get(key);
    if (old !== undefined) {
      this.used -= old.bytes;
      this.map.delete(key);
    }
    this.map.set(key, { value, bytes });
    this.used += bytes;
    while (this.used > this.capacityBytes) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.used -= this.map.get(oldest.value)!.bytes;
      this.map.delete(oldest.value);
    }
  }

  /** Drops every block of one table (after compaction deletes it), so the cache holds only live data. */
  evictTable(fileNumber: number): void {
    const low = blockCacheKey(fileNumber, 0);
    const high = blockCacheKey(fileNumber + 1, 0);
    for (const [key, slot] of this.map) {
      if (key >= low && key < high) {
        this.used -= slot.bytes;
        this.map.delete(key);
      }
    }
  }

  get usedBytes(): number {
    return this.used;
  }

  get size(): number {
    return this.map.size;
  }
}

/** A cache key is fileNumber × BLOCKS_PER_TABLE + block index (exact in a double up to 2^29 table files). */
const BLOCKS_PER_TABLE = 0x100_0000;

export function blockCacheKey(fileNumber: number, blockIndex: number): number {
  return fileNumber * BLOCKS_PER_TABLE + blockIndex;
}
