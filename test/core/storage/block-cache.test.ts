import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../../core/storage/block-cache';

/** Keys as table readers make them: each of 16 tables reserves a run of `blocks` keys (see reserveKeys). */
function keysOf(cache: BlockCache<unknown>, blocks = 10_000): (table: number, block: number) => number {
  const bases = Array.from({ length: 16 }, () => cache.reserveKeys(blocks));
  return (table, block) => bases[table]! + block;
}

describe('block cache', () => {
  it('evicts the least recently used block once over capacity', () => {
    const cache = new BlockCache<string>(3000);
    const blockCacheKey = keysOf(cache);
    cache.set(blockCacheKey(1, 0), 'a', 1000);
    cache.set(blockCacheKey(1, 1), 'b', 1000);
    cache.set(blockCacheKey(1, 2), 'c', 1000);
    expect(cache.get(blockCacheKey(1, 0))).toBe('a'); // a is now the most recent
    cache.set(blockCacheKey(2, 0), 'd', 1000);
    expect(cache.get(blockCacheKey(1, 1))).toBeUndefined();
    expect(cache.get(blockCacheKey(1, 0))).toBe('a');
    expect(cache.usedBytes).toBeLessThanOrEqual(3000);
  });

  it('admits a block on its second miss, not its first; a cache of size 0 admits nothing', () => {
    const cache = new BlockCache<string>(8 << 20);
    const blockCacheKey = keysOf(cache);
    const keys = Array.from({ length: 500 }, (_, i) => blockCacheKey(7 + (i % 5), i * 13));
    for (const key of keys) expect(cache.admit(key)).toBe(false);
    // The table has 8 MiB / 2 KiB = 4096 slots: 500 recent misses come back as second misses except those
    // whose slot a later miss took (~500² / (2 × 4096) ≈ 30 expected; 400 leaves room for other key sets).
    const admitted = keys.filter((key) => cache.admit(key)).length;
    expect(admitted).toBeGreaterThan(400);
    // Admission consumes the ghost: a third miss starts over.
    expect(keys.filter((key) => cache.admit(key)).length).toBeLessThan(50);
    const none = new BlockCache<string>(0);
    expect(none.admit(5)).toBe(false);
    expect(none.admit(5)).toBe(false);
  });

  it('forgets misses that fell out of the window (a scan over a huge store does not fill the cache)', () => {
    const cache = new BlockCache<string>(64 * 1024); // 32 ghost slots
    const blockCacheKey = keysOf(cache);
    for (let i = 0; i < 10_000; i++) cache.admit(blockCacheKey(3, i));
    const again = Array.from({ length: 1000 }, (_, i) => cache.admit(blockCacheKey(3, i))).filter(Boolean).length;
    expect(again).toBe(0);
  });
});
