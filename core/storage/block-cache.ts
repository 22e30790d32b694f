/**
 * A bounded LRU of decoded SSTable data blocks, charged by block size, so hot keys are served without a disk
 * read, a checksum or a decode. A JS Map iterates in insertion order, so "delete then set" moves an entry to
 * the most-recent end and the first key is always the least recently used.
 */
export class BlockCache<T> {
  /**
   * Keyed by a number — cheaper than building a string per lookup: a table's reader reserves a run of keys, one
   * per block (see reserveKeys), and block i's key is the run's first + i.
   */
  private readonly map = new Map<number, { value: T; bytes: number }>();
  /** The first key not yet reserved. */
  private nextKey = 0;
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
    // Keys are integers below 2^53: the low 32 bits mixed with the rest (`>>> 0` takes a double modulo 2^32).
    const mixed = Math.imul((key >>> 0) ^ Math.imul(Math.floor(key / 0x1_0000_0000), 0x9e3779b1), 0x85ebca6b);
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

  /**
   * Reserves `blockCount` keys for one table's blocks and returns the first; no other table ever gets one of
   * them. Found by a review: keys used to be file number × 2^24 + block index, so a table of 2^24 blocks or more
   * (64 GiB of 4 KiB blocks; size-tiered outputs have no size limit, and small blocks get there sooner) shared
   * keys with the next file's — a get could be answered from another table's cached block. Runs handed out in
   * turn cannot overlap, whatever the sizes, and stay exact in a double for 2^53 blocks opened in all.
   */
  reserveKeys(blockCount: number): number {
    if (!Number.isSafeInteger(blockCount) || blockCount < 0) throw new RangeError(`block count ${blockCount} is not a count`);
    const first = this.nextKey;
    if (first + blockCount > Number.MAX_SAFE_INTEGER) throw new RangeError('block cache keys exhausted (2^53 blocks reserved)');
    this.nextKey = first + blockCount;
    return first;
  }

  /** Drops every block of one table — its keys [first, first + blockCount) — so the cache holds only live data. */
  evictTable(first: number, blockCount: number): void {
    const low = first;
    const high = first + blockCount;
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
