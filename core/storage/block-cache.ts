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

  constructor(readonly capacityBytes: number) {}

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

export function blockCacheKey(fileNumber: number, blockIndex: number): number {
  return fileNumber * 0x100_0000 + blockIndex;
}
