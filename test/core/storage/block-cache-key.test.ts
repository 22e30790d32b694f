import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../../core/storage/block-cache';

/**
 * Found by a review: block cache keys were file number × 2^24 + block index, so block 2^24 of one table had the
 * key of block 0 of the next file (a table of 64 GiB in 4 KiB blocks; size-tiered outputs have no size limit)
 * and a read could be served another table's block. Each table now reserves its own run of keys.
 */
describe('block cache keys', () => {
  it('runs reserved for tables never overlap, however many blocks a table has', () => {
    const cache = new BlockCache<string>(1 << 20);
    const huge = cache.reserveKeys(2 ** 24 + 5);
    const next = cache.reserveKeys(3);
    const empty = cache.reserveKeys(0);
    const after = cache.reserveKeys(1);
    expect(next).toBeGreaterThanOrEqual(huge + 2 ** 24 + 5);
    expect(after).toBeGreaterThanOrEqual(next + 3);
    expect(empty).toBeLessThanOrEqual(after);
    // The block past 2^24 of the huge table and the next table's first block are different entries.
    cache.set(next, 'next table, block 0', 100);
    cache.set(huge + 2 ** 24, 'huge table, block 2^24', 100);
    expect(cache.get(next)).toBe('next table, block 0');
    expect(cache.get(huge + 2 ** 24)).toBe('huge table, block 2^24');
    // Evicting one table leaves the other's blocks.
    cache.evictTable(huge, 2 ** 24 + 5);
    expect(cache.get(huge + 2 ** 24)).toBeUndefined();
    expect(cache.get(next)).toBe('next table, block 0');
    cache.evictTable(next, 3);
    expect(cache.size).toBe(0);
    expect(cache.usedBytes).toBe(0);
  });

  it('refuses a count that is not one, and running out of exact keys', () => {
    const cache = new BlockCache<string>(0);
    expect(() => cache.reserveKeys(-1)).toThrow(RangeError);
    expect(() => cache.reserveKeys(1.5)).toThrow(RangeError);
    cache.reserveKeys(Number.MAX_SAFE_INTEGER - 10);
    expect(() => cache.reserveKeys(11)).toThrow(/exhausted/);
    expect(cache.reserveKeys(10)).toBe(Number.MAX_SAFE_INTEGER - 10);
  });

  it('admission still spreads keys near 2^53 over its slots', () => {
    const cache = new BlockCache<string>(8 << 20);
    const base = cache.reserveKeys(Number.MAX_SAFE_INTEGER - 100_000);
    const first = cache.reserveKeys(50_000);
    expect(base).toBe(0);
    const keys = Array.from({ length: 500 }, (_, i) => first + i * 13);
    for (const key of keys) expect(cache.admit(key)).toBe(false);
    expect(keys.filter((key) => cache.admit(key)).length).toBeGreaterThan(400);
  });
});
